using Platform.Datasets.V1;
using Platform.Gateway.Grpc;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults;

namespace Platform.Gateway;

/// <summary>
/// The gateway: the public edge of the platform. It owns nothing; each public call is relayed to the
/// service that owns it, with the caller's tenant and deadline, and the backend's status comes back unchanged.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>Registers the gRPC clients of the backends (<c>Services:Scheduler</c>, <c>Services:ModelStore</c>).</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformGrpcClient<JobService.JobServiceClient>("Scheduler");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<ModelService.ModelServiceClient>("ModelStore");
        return builder;
    }

    /// <summary>
    /// Maps the public API: DatasetService, JobService, ModelService. The model store's internal
    /// ModelRegistry is deliberately not exposed: only workers register model versions.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<DatasetForwarder>();
        app.MapGrpcService<JobForwarder>();
        app.MapGrpcService<ModelForwarder>();
        return app;
    }
}
