using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Erasure;
using Platform.ModelStore.Events;
using Platform.ModelStore.Grpc;
using Platform.ModelStore.Maintenance;
using Platform.ModelStore.Models;
using Platform.ModelStore.Transfers;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Persistence;
using Platform.ServiceDefaults.Transfers;

namespace Platform.ModelStore;

/// <summary>Composes the model store into a host: the dedicated one (Program.cs) or the standalone one.</summary>
public static class ModelStoreExtensions
{
    /// <summary>
    /// Registers the store's database (<c>ModelStoreDbContext</c> on <c>ConnectionStrings:ModelStore</c>, engine
    /// from <c>Database:Provider</c>), its blob folder (<c>BlobStore:Root</c>, required when the host starts), the
    /// registry (settings in <c>ModelStore</c>, see <see cref="ModelStoreOptions"/>), the outbox publisher of registry
    /// events, the periodic maintenance pass and the byte stream's HTTP/1.1 listener (<c>Platform:Ports:Transfers</c>,
    /// default 8082). Registry events go out on the host's one bus: the host must also call <c>AddMessaging</c>.
    /// </summary>
    public static WebApplicationBuilder AddModelStore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformDatabase<ModelStoreDbContext>("ModelStore");
        builder.AddTransfersListener(forInternalCallers: true);

        // Checked when the host starts rather than here, so `model-store migrate` runs without the blob volume.
        builder.Services.AddOptions<BlobStoreOptions>()
            .BindConfiguration("BlobStore")
            .Validate(options => !string.IsNullOrWhiteSpace(options.Root),
                "BlobStore:Root is not set (environment variable BlobStore__Root): the folder where the model store keeps data set and model bytes.")
            .ValidateOnStart();
        builder.Services.AddOptions<ModelStoreOptions>()
            .BindConfiguration("ModelStore")
            .Validate(options => options.MaxArtifactBytes > 0, "ModelStore:MaxArtifactBytes must be positive.")
            .Validate(options => options.Uploads.MaxStagedBytesPerTenant > 0 && options.Uploads.MaxStagedPerTenant > 0 && options.Uploads.MaxStagedBytes > 0,
                "ModelStore:Uploads: MaxStagedBytesPerTenant, MaxStagedPerTenant and MaxStagedBytes must be positive.")
            .Validate(options => options.Datasets.MaxBytes > 0 && options.Datasets.MaxRows > 0
                                 && options.Datasets.MaxColumns is > 0 and <= Datasets.Profiling.ProfileBudget.ColumnsCeiling
                                 && options.Datasets.ProfileMemoryBytes >= options.Datasets.MaxColumns * Datasets.Profiling.ProfileBudget.MinBytesPerColumn,
                $"ModelStore:Datasets: MaxBytes and MaxRows must be positive, MaxColumns 1 to {Datasets.Profiling.ProfileBudget.ColumnsCeiling}, " +
                $"ProfileMemoryBytes at least MaxColumns × {Datasets.Profiling.ProfileBudget.MinBytesPerColumn}.")
            .Validate(options => options.Outbox.BatchSize > 0 && options.Outbox.PollInterval > TimeSpan.Zero
                                 && options.Outbox.PublishTimeout > TimeSpan.Zero && options.Outbox.MaxRetryDelay > TimeSpan.Zero,
                "ModelStore:Outbox: BatchSize, PollInterval, PublishTimeout and MaxRetryDelay must be positive.")
            .Validate(options => options.Maintenance.Interval > TimeSpan.Zero && options.Maintenance.OrphanGracePeriod >= TimeSpan.Zero,
                "ModelStore:Maintenance: Interval must be positive and OrphanGracePeriod not negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new BlobStore(services.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Root));

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutboxSignal<ModelStoreDbContext>>();
        builder.Services.AddSingleton<RegistryOutbox>();
        builder.Services.AddScoped<ModelVersionCatalog>();
        builder.Services.AddScoped<ModelAliases>();
        builder.Services.AddScoped<VersionComparison>();
        builder.Services.AddScoped<ModelVersionDeletion>();
        builder.Services.AddScoped<BlobReclaimer>();
        builder.Services.AddScoped<DatasetErasure>();
        builder.Services.AddScoped<ModelCards.ModelCardStore>();
        builder.Services.AddScoped<StoreMaintenance>();
        builder.Services.AddHostedService<OutboxPublisher>();
        builder.Services.AddHostedService<MaintenanceService>();
        return builder;
    }

    /// <summary>
    /// The model store's part of the bus configuration (pass it to <c>AddMessaging</c>): it consumes nothing, and a
    /// broker outage makes it degraded rather than unready, because the store keeps serving models and queues its
    /// registry events in the outbox until the broker is back.
    /// </summary>
    public static void AddModelStorePublishing(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.ConfigureHealthCheckOptions(health => health.MinimalFailureStatus = HealthStatus.Degraded);
    }

    /// <summary>
    /// Maps <c>DatasetService</c>, <c>ModelService</c> and the internal <c>ModelRegistry</c> and <c>RegistryMaintenance</c>
    /// (the gateway forwards only the first two), and the byte stream's routes on the transfers port: all of them for
    /// internal callers only (the service credential), on the internal listeners when the host has them.
    /// </summary>
    public static WebApplication MapModelStore(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapInternalGrpcService<DatasetGrpcService>();
        app.MapInternalGrpcService<ModelGrpcService>();
        app.MapInternalGrpcService<ModelRegistryGrpcService>();
        app.MapInternalGrpcService<RegistryMaintenanceGrpcService>();
        app.MapStoreByteStream();
        return app;
    }
}
