using MassTransit;
using Platform.Datasets.V1;
using Platform.Scheduler.Data;
using Platform.Scheduler.Grpc;
using Platform.Scheduler.Jobs;
using Platform.Scheduler.Messaging;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Persistence;

namespace Platform.Scheduler;

public static class SchedulerExtensions
{
    /// <summary>
    /// Registers the job store (<c>ConnectionStrings:Scheduler</c>), the model-store client used to validate
    /// data sets (<c>Services:ModelStore</c>), job submission and dispatch, the pending-dispatch sweep and the
    /// watch notifier. Tuning: the <c>Scheduler</c> section (<see cref="SchedulerOptions"/>).
    /// </summary>
    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformDatabase<SchedulerDbContext>("Scheduler");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section)
            .Validate(o => o.DispatchSweepInterval > TimeSpan.Zero && o.RedispatchAfter >= TimeSpan.Zero && o.WatchPollInterval > TimeSpan.Zero,
                "Scheduler:DispatchSweepInterval and Scheduler:WatchPollInterval must be positive, Scheduler:RedispatchAfter not negative.")
            .ValidateOnStart();
        builder.Services.AddSchedulerCore();
        builder.Services.AddHostedService<PendingDispatchSweep>();
        return builder;
    }

    /// <summary>
    /// The scheduler's own services, without the database, the model-store client or hosted services (tests
    /// supply those themselves).
    /// </summary>
    internal static IServiceCollection AddSchedulerCore(this IServiceCollection services)
    {
        services.AddSingleton<JobWatchNotifier>();
        services.AddScoped<JobSubmission>();
        services.AddScoped<JobDispatcher>();
        services.AddScoped<JobTracker>();
        return services;
    }

    /// <summary>Consumers of worker reports and of the public submission queue (<c>platform.submit-training-job</c>).</summary>
    public static IBusRegistrationConfigurator AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<TrainingJobStartedConsumer, TrainingJobStartedConsumerDefinition>();
        bus.AddConsumer<TrainingJobProgressedConsumer, TrainingJobProgressedConsumerDefinition>();
        bus.AddConsumer<TrainingJobCompletedConsumer, TrainingJobCompletedConsumerDefinition>();
        bus.AddConsumer<TrainingJobFailedConsumer, TrainingJobFailedConsumerDefinition>();
        bus.AddConsumer<SubmitTrainingJobConsumer, SubmitTrainingJobConsumerDefinition>();
        return bus;
    }

    /// <summary>Maps <c>platform.jobs.v1.JobService</c>.</summary>
    public static WebApplication MapScheduler(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<JobGrpcService>();
        return app;
    }
}
