using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Datasets.V1;
using Platform.Scheduler.Data;
using Platform.Scheduler.Grpc;
using Platform.Scheduler.Jobs;
using Platform.Scheduler.Messaging;
using Platform.Scheduler.Sweeps;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Persistence;
using Platform.Training.Catalogue;

namespace Platform.Scheduler;

public static class SchedulerExtensions
{
    /// <summary>
    /// Registers the job store (<c>ConnectionStrings:Scheduler</c>), the model-store client used to validate
    /// data sets (<c>Services:ModelStore</c>), job submission and dispatch, the supervisor (leases, deadlines,
    /// dispatch passes), the feed every <c>WatchJob</c> stream reads, and sweeps (<c>Sweeps</c> section, <see cref="SweepOptions"/>). Tuning: the <c>Scheduler</c> section (<see cref="SchedulerOptions"/>);
    /// who may submit over the message queue: <c>Messaging:Submission</c> (<see cref="SubmissionOptions"/>).
    /// </summary>
    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        PrepareRepeatedStatements(builder.Configuration);
        builder.AddPlatformDatabase<SchedulerDbContext>("Scheduler");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section)
            .Validate(o => o.SweepInterval > TimeSpan.Zero && o.LeaseDuration > TimeSpan.Zero && o.WatchPollInterval > TimeSpan.Zero,
                "Scheduler:SweepInterval, Scheduler:LeaseDuration and Scheduler:WatchPollInterval must be positive.")
            .Validate(o => o.MaxAttempts >= 1 && o.RetryBackoff >= TimeSpan.Zero && o.MaxRetryBackoff >= o.RetryBackoff,
                "Scheduler:MaxAttempts must be at least 1, Scheduler:RetryBackoff not negative and at most Scheduler:MaxRetryBackoff.")
            .Validate(o => o.Limits.PerTenant >= 0 && o.Limits.Tenants.Values.All(l => l >= 0) && o.Limits.Queues.Values.All(l => l >= 0),
                "Scheduler:Limits must not be negative (0 means no limit).")
            .Validate(o => o.MaxRunSeconds.IsValid, "Scheduler:MaxRunSeconds must not be negative (0 means none).")
            .ValidateOnStart();
        builder.Services.AddOptions<SubmissionOptions>().BindConfiguration(SubmissionOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section).ValidateOnStart();
        if (builder.Configuration.GetValue($"{SchedulerOptions.Section}:{nameof(SchedulerOptions.BenchmarkTrainers)}", false))
            TrainerCatalogue.OfferBenchmarkTrainers();
        builder.Services.AddSchedulerCore();
        builder.Services.AddSingleton<JobSupervisor>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<JobSupervisor>());
        builder.Services.AddHostedService(provider => provider.GetRequiredService<SweepSupervisor>());
        return builder;
    }

    /// <summary>
    /// The scheduler runs a handful of statements thousands of times a minute (a job's changes, the dispatch pass): on
    /// PostgreSQL, Npgsql prepares them on each connection (<c>Max Auto Prepare</c>) so the server parses and plans each once
    /// per connection instead of once per execution, unless <c>ConnectionStrings:Scheduler</c> sets it itself.
    /// </summary>
    private static void PrepareRepeatedStatements(ConfigurationManager configuration)
    {
        if (configuration.GetValue("Database:Provider", DatabaseProvider.Postgres) != DatabaseProvider.Postgres) return;
        if (configuration.GetConnectionString("Scheduler") is not { } connectionString) return;
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.ContainsKey("Max Auto Prepare")) return;
        settings.MaxAutoPrepare = 64;
        settings.AutoPrepareMinUsages = 2;
        configuration["ConnectionStrings:Scheduler"] = settings.ConnectionString;
    }

    /// <summary>
    /// The scheduler's own services, without the database, the model-store client or hosted services (tests
    /// supply those themselves).
    /// </summary>
    internal static IServiceCollection AddSchedulerCore(this IServiceCollection services)
    {
        services.AddSingleton<JobWatchFeed>();
        services.AddSingleton<DispatchSignal>();
        services.AddSingleton<JobQueueSnapshot>();
        services.AddSingleton<PendingReasons>();
        services.AddSingleton<JobChangeQueue>();
        services.AddSingleton<JobSubmissionQueue>();
        services.AddSingleton<DatasetLookupCache>();
        services.AddScoped<JobSubmission>();
        services.AddScoped<JobDispatcher>();
        services.AddScoped<JobTracker>();
        services.AddScoped<FoldProgress>();
        services.AddSingleton<IValidateOptions<SubmissionOptions>, SubmissionOptionsValidation>();
        services.AddSingleton<SubmissionPublishers>();
        services.AddSweepsCore();
        return services;
    }

    /// <summary>
    /// Consumers of worker reports, heartbeats and commit requests, and of the public submission queue
    /// (<c>platform.submit-training-job</c>).
    /// </summary>
    public static IBusRegistrationConfigurator AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<TrainingJobStartedConsumer, TrainingJobStartedConsumerDefinition>();
        bus.AddConsumer<TrainingJobProgressedConsumer, TrainingJobProgressedConsumerDefinition>();
        bus.AddConsumer<TrainingJobCompletedConsumer, TrainingJobCompletedConsumerDefinition>();
        bus.AddConsumer<TrainingJobFailedConsumer, TrainingJobFailedConsumerDefinition>();
        bus.AddConsumer<TrainingJobReleasedConsumer, TrainingJobReleasedConsumerDefinition>();
        bus.AddConsumer<WorkerHeartbeatConsumer, WorkerHeartbeatConsumerDefinition>();
        bus.AddConsumer<CommitAttemptConsumer, CommitAttemptConsumerDefinition>();
        bus.AddConsumer<SubmitTrainingJobConsumer, SubmitTrainingJobConsumerDefinition>();
        return bus;
    }

    /// <summary>Maps <c>platform.jobs.v1.JobService</c> and <c>platform.sweeps.v1.SweepService</c> for internal callers (the gateway) only.</summary>
    public static WebApplication MapScheduler(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapInternalGrpcService<JobGrpcService>();
        app.MapInternalGrpcService<SweepGrpcService>();
        return app;
    }
}
