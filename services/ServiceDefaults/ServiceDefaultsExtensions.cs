using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.ServiceDefaults.Grpc;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Persistence;
using Platform.ServiceDefaults.Tls;
using Platform.ServiceDefaults.Security;

namespace Platform.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// What every host has: two listeners (gRPC over HTTP/2 on <c>Platform:Ports:Grpc</c>, default 8080;
    /// health over HTTP/1.1 on <c>Platform:Ports:Http</c>, default 8081; with <c>Platform:Ports:Internal</c> a third,
    /// loopback-only gRPC listener for the backends, see <see cref="PlatformListeners"/>), gRPC with the error-mapping
    /// interceptor, the service credential (<see cref="ServiceCredential"/>: required, every backend endpoint needs it),
    /// health checks, telemetry and a <see cref="TimeProvider"/>. With <c>Platform:Tls</c> set the gRPC port serves TLS
    /// (<see cref="ServerTls"/>); the loopback-only internal port never does.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var grpcPort = builder.Configuration.GetValue(PlatformListeners.GrpcPortKey, 8080);
        var httpPort = builder.Configuration.GetValue("Platform:Ports:Http", 8081);
        var internalPort = builder.Configuration.GetValue<int?>(PlatformListeners.InternalPortKey);
        var bindAddress = builder.Configuration.GetValue("Platform:BindAddress", "0.0.0.0")!;
        var tls = ServerTls.From(builder.Configuration);
        var listeners = builder.Listeners();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(bindAddress);
            ListenerEndpoints.Bind(listeners.Grpc, kestrel, address, grpcPort, HttpProtocols.Http2, tls);
            if (internalPort is { } port)
                ListenerEndpoints.Bind(listeners.InternalGrpc, kestrel, System.Net.IPAddress.Loopback, port, HttpProtocols.Http2);
            if (httpPort > 0)
                kestrel.Listen(address, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
            // Model and data set uploads stream in chunks; no single message comes near this.
            kestrel.Limits.MaxRequestBodySize = null;
            GrpcTransfer.ConfigureServer(kestrel.Limits.Http2);
        });
        builder.AddServiceCredential();
        // Kestrel reads sockets one pool block at a time: 64 KiB blocks instead of 4 KiB (registered after Kestrel's own).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, TransportBlockPoolFactory>();

        var maxMessageBytes = builder.Configuration.GetValue(GrpcMessageLimit.Key, GrpcTransfer.MaxMessageBytes);
        builder.Services.AddSingleton(new GrpcMessageLimit(maxMessageBytes));
        builder.Services.AddTransient<IStartupFilter, GrpcMessageLimit.StartupFilter>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorMappingInterceptor>();
            grpc.MaxReceiveMessageSize = maxMessageBytes;
            // No catch-all endpoint for services a host does not serve: such a call matches nothing, so the host's
            // fallback policy answers it (fail closed, the same on every port) instead of an endpoint that answers anyone.
            grpc.IgnoreUnknownServices = true;
        });
        builder.Services.AddGrpcHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.Services.AddSingleton(TimeProvider.System);
        // Hosts ship no appsettings: quiet defaults here, any of them overridable by configuration.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddMeter("Platform.*", "MassTransit").AddPrometheusExporter())
            .WithTracing(tracing => tracing.AddSource("Platform.*", "MassTransit"));
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c>, <c>/health/ready</c>, the gRPC health service, and <c>/metrics</c> (Prometheus) on the
    /// health port only, so that the metrics never answer on a port clients reach.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Probes and the metrics scrape come without credentials.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/health/ready").AllowAnonymous();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireHost($"*:{app.Configuration.GetValue("Platform:Ports:Http", 8081)}").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Runs the host, or with the argument <c>migrate</c> brings every database of this host up to
    /// date and exits (the Helm pre-install/pre-upgrade hook runs this), or runs a host command named by the first
    /// argument (<see cref="IHostCommand"/>, e.g. the gateway's <c>keys create</c>) and exits with its code.
    /// </summary>
    public static async Task RunPlatformAsync(this WebApplication app, string[] args)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains("migrate"))
        {
            foreach (var initializer in app.Services.GetServices<IDatabaseInitializer>())
                await initializer.InitializeAsync(app.Services, CancellationToken.None);
            return;
        }
        if (args.Length > 0 && app.Services.GetServices<IHostCommand>().FirstOrDefault(c => c.Name == args[0]) is { } command)
        {
            Environment.ExitCode = await command.RunAsync(app.Services, args[1..], CancellationToken.None);
            return;
        }
        await app.RunAsync();
    }

    /// <summary>
    /// Maps a backend's gRPC service for internal callers only: on the internal listener
    /// (<see cref="PlatformListeners.InternalGrpc"/>) and only with the service credential.
    /// </summary>
    public static GrpcServiceEndpointConventionBuilder MapInternalGrpcService<TService>(this WebApplication app) where TService : class
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapGrpcService<TService>()
            .RequireListener(app.Services.GetRequiredService<PlatformListeners>().InternalGrpc)
            .RequireAuthorization(ServiceCredential.Policy);
    }

    /// <summary>The host's listeners, made (and registered, with the policy that ties endpoints to them) on first use.</summary>
    public static PlatformListeners Listeners(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Host.Properties.TryGetValue(typeof(PlatformListeners), out var existing)) return (PlatformListeners)existing;
        var listeners = new PlatformListeners(
            builder.Configuration.GetValue<int?>(PlatformListeners.InternalPortKey) is not null,
            builder.Configuration.GetValue<int?>(PlatformListeners.InternalTransfersPortKey) is not null);
        builder.Host.Properties[typeof(PlatformListeners)] = listeners;
        builder.Services.AddSingleton(listeners);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        return listeners;
    }

    /// <summary>
    /// The service credential: its scheme, the policy of backend endpoints (also the fallback policy, so an endpoint
    /// mapped without a policy is closed), the responses to refused calls, and the start-up check that it is set.
    /// </summary>
    private static void AddServiceCredential(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServiceCredentialOptions>().BindConfiguration("Authentication")
            .Validate(options => options.ServiceToken is { Length: >= ServiceCredential.MinimumLength }, ServiceCredential.MissingMessage)
            .ValidateOnStart();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ServiceTokenAuthenticationHandler>(ServiceCredential.Scheme, null);
        // Authentication brings ASP.NET Core data protection, which the platform never uses (no cookies, no protected
        // payloads): keys in memory only, so no host writes a key ring to a disk (read-only in a cluster).
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var internalCaller = new AuthorizationPolicyBuilder(ServiceCredential.Scheme)
            .RequireClaim(ServiceCredential.ClaimType)
            .Build();
        builder.Services.AddAuthorization(options =>
        {
            options.AddPolicy(ServiceCredential.Policy, internalCaller);
            options.FallbackPolicy = internalCaller;
        });
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AccessDeniedResponses>();
    }

    /// <summary>
    /// Registers a typed gRPC client for an internal service whose address is <c>Services:{name}</c>
    /// (for example <c>Services:ModelStore = http://model-store:8080</c>), with the HTTP/2 windows of
    /// <see cref="GrpcTransfer"/> so data sets and artifacts stream at full speed, and the service credential on every call.
    /// </summary>
    public static IHttpClientBuilder AddPlatformGrpcClient<TClient>(this IHostApplicationBuilder builder, string name)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddGrpcClient<TClient>(options =>
        {
            var address = builder.Configuration[$"Services:{name}"]
                ?? throw new InvalidOperationException($"Services:{name} is not set (environment variable Services__{name}).");
            options.Address = new Uri(address);
        }).ConfigurePrimaryHttpMessageHandler(() => GrpcTransfer.CreateClientHandler())
        .AddHttpMessageHandler(() => ServiceCredential.Handler(
            builder.Configuration[ServiceCredential.TokenKey] ?? throw new InvalidOperationException(ServiceCredential.MissingMessage)))
        .ConfigureChannel(channel =>
        {
            channel.MaxReceiveMessageSize = GrpcTransfer.MaxMessageBytes;
        });
    }
}
