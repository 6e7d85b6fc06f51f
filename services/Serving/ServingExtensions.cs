using MassTransit;
using Platform.Authentication;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults.Messaging;
using Platform.Serving.Data;
using Platform.Serving.Grpc;
using Platform.Serving.Logging;
using Platform.Serving.Messaging;
using Platform.Serving.Models;
using Platform.Serving.Monitoring;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Persistence;

namespace Platform.Serving;

/// <summary>
/// The serving service: real-time predictions from registered models (docs/serving.md). Public, like the gateway, and
/// called directly by clients (no extra hop): the same credentials, checked the same way (<see cref="PublicAuthentication"/>,
/// the scope <c>models:predict</c>), API keys verified by asking the gateway. It owns the prediction log.
/// </summary>
public static class ServingExtensions
{
    /// <summary>
    /// Registers the serving service: its database (<c>ConnectionStrings:Serving</c>: the prediction log), public
    /// authentication (API keys through the gateway at <c>Services:Gateway</c> unless the host runs the gateway too),
    /// the model store client (<c>Services:ModelStore</c>), the served models and their maintenance, the prediction log's
    /// writer and retention, monitoring and the drift check with its outbox, JSON transcoding, and readiness with the loaded models. Settings: <see cref="ServingOptions"/>.
    /// </summary>
    public static WebApplicationBuilder AddServing(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ServingOptions>().BindConfiguration(ServingOptions.Section)
            .Validate(options =>
            {
                options.Validate();
                return true;
            }).ValidateOnStart();
        builder.AddPlatformDatabase<ServingDbContext>("Serving");
        builder.AddPublicAuthentication();
        builder.AddApiKeysFromGateway();
        builder.AddPlatformGrpcClient<ModelService.ModelServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.Services.AddSingleton<ISensitiveColumns, ConfiguredSensitiveColumns>();
        builder.Services.AddSingleton<ModelStoreSource>();
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddSingleton<ServedModelsMaintenance>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ServedModelsMaintenance>());
        builder.Services.AddSingleton<PredictionLog>();
        builder.Services.AddSingleton<PredictionLogWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PredictionLogWriter>());
        builder.Services.AddSingleton<PredictionLogRetention>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PredictionLogRetention>());
        builder.Services.AddSingleton<ModelMonitor>();
        builder.Services.AddSingleton<DriftCheck>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DriftCheck>());
        builder.Services.AddSingleton<OutboxSignal<ServingDbContext>>();
        builder.Services.AddHostedService<ServingOutboxPublisher>();
        builder.Services.AddGrpc().AddJsonTranscoding();
        builder.Services.AddHealthChecks().AddCheck<ServedModelsHealthCheck>("served-models");
        return builder;
    }

    /// <summary>The serving service's bus consumers: registry events (a queue per replica) and outcomes reported over AMQP.</summary>
    public static IBusRegistrationConfigurator AddServingConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<RegistryEventConsumer, RegistryEventConsumerDefinition>();
        bus.AddConsumer<ReportPredictionOutcomeConsumer, ReportPredictionOutcomeConsumerDefinition>();
        return bus;
    }

    /// <summary>Maps the PredictionService (gRPC and its JSON form) on the public gRPC listener, behind the access policy.</summary>
    public static WebApplication MapServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var listener = app.Services.GetRequiredService<PlatformListeners>().Grpc;
        app.MapGrpcService<PredictionGrpcService>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        return app;
    }
}
