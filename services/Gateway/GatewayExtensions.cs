using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Authentication;
using Platform.Authentication.ApiKeys;
using Platform.Datasets.V1;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Audit;
using Platform.Gateway.Data;
using Platform.Gateway.Grpc;
using Platform.Gateway.Security;
using Platform.Gateway.Transfers;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Persistence;
using Platform.Sweeps.V1;

namespace Platform.Gateway;

/// <summary>
/// The gateway: the public edge of the platform. It authenticates every caller (API keys, tokens of an identity
/// provider; docs/security.md), checks each call against <see cref="AccessTable"/>, relays it to the service that owns
/// it with the caller's tenant and deadline (the backend's status comes back unchanged), and audits the calls that
/// change state. It owns API keys and the audit log.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>
    /// Registers the gateway's database (<c>ConnectionStrings:Gateway</c>: API keys and the audit log), authentication
    /// and the access policy (<c>Authentication</c> section), the per-caller limits (<c>RateLimits</c>), the gRPC clients of the backends (<c>Services:Scheduler</c>,
    /// <c>Services:ModelStore</c>) and, when <c>Services:ModelStoreTransfers</c> is set, the relay of the store's byte
    /// stream on the transfers port.
    /// </summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformDatabase<GatewayDbContext>("Gateway");
        builder.AddPublicAuthentication();
        RateLimits.Add(builder);
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddScoped<ApiKeyStore>();
        // The gateway owns the keys: it looks them up in its database, also for a serving service in the same host.
        builder.Services.Replace(ServiceDescriptor.Scoped<IApiKeyDirectory>(services => services.GetRequiredService<ApiKeyStore>()));
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<IRefusedCallLog>(services => services.GetRequiredService<AuditLog>());
        builder.Services.AddSingleton<IHostCommand, KeysCommand>();
        // Only the gateway's own services are audited (in standalone the backends share the host).
        builder.Services.AddGrpc()
            .AddServiceOptions<DatasetForwarder>(options => options.Interceptors.Add<AuditInterceptor>())
            .AddServiceOptions<JobForwarder>(options => options.Interceptors.Add<AuditInterceptor>())
            .AddServiceOptions<SweepForwarder>(options => options.Interceptors.Add<AuditInterceptor>())
            .AddServiceOptions<ModelForwarder>(options => options.Interceptors.Add<AuditInterceptor>())
            .AddServiceOptions<AdminGrpcService>(options => options.Interceptors.Add<AuditInterceptor>());
        builder.AddPlatformGrpcClient<JobService.JobServiceClient>("Scheduler");
        builder.AddPlatformGrpcClient<SweepService.SweepServiceClient>("Scheduler");
        builder.AddPlatformGrpcClient<DatasetService.DatasetServiceClient>("ModelStore");
        builder.AddPlatformGrpcClient<ModelService.ModelServiceClient>("ModelStore");
        builder.AddByteStreamRelay();
        return builder;
    }

    /// <summary>
    /// Maps the public API on the public gRPC listener, every call behind the access policy: DatasetService,
    /// JobService, SweepService, ModelService and AdminService; and the internal ApiKeyDirectory (service credential only) through
    /// which the serving service checks API keys. The model store's internal ModelRegistry and RegistryMaintenance are
    /// deliberately not exposed: only workers register model versions. The byte stream's routes are relayed to the
    /// store (<c>ByteStreamRelay</c>); staged bytes only become a version through <c>ModelService.UploadModelVersion</c>,
    /// so the relay exposes nothing the public API does not.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // After authentication and the access check (which the host runs first), so limits count per caller.
        app.UseRateLimiter();
        var listener = app.Services.GetRequiredService<PlatformListeners>().Grpc;
        app.MapGrpcService<DatasetForwarder>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        app.MapGrpcService<JobForwarder>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        app.MapGrpcService<SweepForwarder>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        app.MapGrpcService<ModelForwarder>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        app.MapGrpcService<AdminGrpcService>().RequireListener(listener).RequireAuthorization(AccessRequirement.Policy);
        // For the serving service, which checks API keys by asking the gateway: the service credential only.
        app.MapInternalGrpcService<ApiKeyDirectoryGrpcService>();
        app.MapByteStreamRelay();
        return app;
    }
}
