using Platform.Datasets.V1;
using Platform.Gateway.Grpc;
using Platform.Gateway.Transfers;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults;
using Platform.Sweeps.V1;

namespace Platform.Gateway;

/// <summary>
/// The gateway: the public edge of the platform. It owns nothing; each public call is relayed to the
/// service that owns it, with the caller's tenant and deadline, and the backend's status comes back unchanged.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>
    /// Registers the gRPC clients of the backends (<c>Services:Scheduler</c>, <c>Services:ModelStore</c>) and, when
    /// <c>Services:ModelStoreTransfers</c> is set, the relay of the store's byte stream on the transfers port.
    /// </summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformGrpcClient<JobService.JobServiceClient>("Scheduler");
        builder.AddPlatformGrpcClient<SweepService.SweepServiceClient>("Scheduler");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<ModelService.ModelServiceClient>("ModelStore");
        builder.AddByteStreamRelay();
        return builder;
    }

    /// <summary>
    /// Maps the public API: DatasetService, JobService, SweepService, ModelService. The model store's internal
    /// ModelRegistry is deliberately not exposed: only workers register model versions. The byte stream's routes are
    /// relayed to the store as they are (<c>ByteStreamRelay</c>); staged bytes only become a version through
    /// <c>ModelService.UploadModelVersion</c>, so the relay exposes nothing the public API does not.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<DatasetForwarder>();
        app.MapGrpcService<JobForwarder>();
        app.MapGrpcService<SweepForwarder>();
        app.MapGrpcService<ModelForwarder>();
        app.MapByteStreamRelay();
        return app;
    }
}
