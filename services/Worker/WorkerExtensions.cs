using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Datasets.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults;
using Platform.Worker.Lifecycle;
using Platform.Worker.ModelStore;
using Platform.Worker.Training;

namespace Platform.Worker;

public static class WorkerExtensions
{
    /// <summary>
    /// Registers the worker's parts: its options (section <c>Worker</c>), the model-store clients
    /// (<c>Services:ModelStore</c>; bytes over the store's byte stream when <c>Services:ModelStoreTransfers</c> is set) it
    /// downloads data sets from and registers model versions with, the attempt
    /// runner (background attempts, graceful shutdown) and the heartbeat.
    /// </summary>
    public static TBuilder AddWorker<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.Section))
            .Validate(options => options.Concurrency >= 1, "Worker:Concurrency must be at least 1.")
            .Validate(options => !string.IsNullOrWhiteSpace(options.Name), "Worker:Name must not be empty.")
            .Validate(options => options.HeartbeatInterval > TimeSpan.Zero && options.ShutdownGrace >= TimeSpan.Zero && options.CommitTimeout > TimeSpan.Zero,
                "Worker:HeartbeatInterval and Worker:CommitTimeout must be positive, Worker:ShutdownGrace not negative.")
            .ValidateOnStart();
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<ModelRegistry.ModelRegistryClient>("ModelStore");
        builder.Services.AddSingleton(ModelStoreByteStream.From(builder.Configuration));
        builder.Services.AddTransient<DatasetDownloader>();
        builder.Services.AddTransient<ModelVersionRegistrar>();
        builder.Services.AddTransient<FoldRowsTransfer>();
        builder.Services.AddTransient<TrainingAttempt>();
        builder.Services.AddTransient<BenchmarkTrial>();
        builder.Services.AddTransient<DatasetProfileReader>();
        builder.Services.AddTransient<ModelCardStep>();
        builder.Services.AddSingleton<AttemptRunner>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AttemptRunner>());
        builder.Services.AddSingleton<WorkerHeartbeatService>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<WorkerHeartbeatService>());
        // The host must wait for the grace period and the hand-backs after it.
        var grace = builder.Configuration.GetValue($"{WorkerOptions.Section}:{nameof(WorkerOptions.ShutdownGrace)}", new WorkerOptions().ShutdownGrace);
        builder.Services.Configure<HostOptions>(host =>
        {
            if (host.ShutdownTimeout < grace + TimeSpan.FromSeconds(15)) host.ShutdownTimeout = grace + TimeSpan.FromSeconds(15);
        });
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// The <see cref="TrainModelConsumer"/>, on the <c>train-model</c> queue all workers compete on, and the
    /// <see cref="AttemptToStopConsumer"/>, on a queue of this worker's own.
    /// </summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>();
        bus.AddConsumer<AttemptToStopConsumer, AttemptToStopConsumerDefinition>();
        return bus;
    }
}
