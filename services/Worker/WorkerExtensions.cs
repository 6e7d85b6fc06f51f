using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Datasets.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults;
using Platform.Worker.ModelStore;
using Platform.Worker.Training;

namespace Platform.Worker;

public static class WorkerExtensions
{
    /// <summary>
    /// Registers the worker's parts: its options (section <c>Worker</c>) and the model-store clients
    /// (<c>Services:ModelStore</c>) it downloads data sets from and registers model versions with.
    /// </summary>
    public static TBuilder AddWorker<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.Section))
            .Validate(options => options.Concurrency >= 1, "Worker:Concurrency must be at least 1.")
            .Validate(options => !string.IsNullOrWhiteSpace(options.Name), "Worker:Name must not be empty.")
            .ValidateOnStart();
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<ModelRegistry.ModelRegistryClient>("ModelStore");
        builder.Services.AddTransient<DatasetDownloader>();
        builder.Services.AddTransient<ModelVersionRegistrar>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>The <see cref="TrainModelConsumer"/>, on the <c>train-model</c> queue all workers compete on.</summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>();
        return bus;
    }
}
