using MassTransit;

namespace Platform.Worker;

public static class WorkerExtensions
{
    /// <summary>Registers the trainer and the model-store client (<c>Services:ModelStore</c>).</summary>
    public static WebApplicationBuilder AddWorker(this WebApplicationBuilder builder)
    {
        return builder;
    }

    /// <summary>The TrainModel consumer.</summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        return bus;
    }
}
