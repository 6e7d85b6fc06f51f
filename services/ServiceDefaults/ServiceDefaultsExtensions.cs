using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.ServiceDefaults.Grpc;
using Platform.ServiceDefaults.Persistence;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// What every host has: two listeners (gRPC over HTTP/2 on <c>Platform:Ports:Grpc</c>, default 8080;
    /// health over HTTP/1.1 on <c>Platform:Ports:Http</c>, default 8081), gRPC with the error-mapping
    /// interceptor, health checks, telemetry and a <see cref="TimeProvider"/>. With <c>Platform:Tls</c> set the gRPC port
    /// serves TLS (<see cref="ServerTls"/>).
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var grpcPort = builder.Configuration.GetValue("Platform:Ports:Grpc", 8080);
        var httpPort = builder.Configuration.GetValue("Platform:Ports:Http", 8081);
        var bindAddress = builder.Configuration.GetValue("Platform:BindAddress", "0.0.0.0")!;
        var tls = ServerTls.From(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(bindAddress);
            kestrel.Listen(address, grpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                tls?.Apply(listen);
            });
            if (httpPort > 0)
                kestrel.Listen(address, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
            // Model and data set uploads stream in chunks; no single message comes near this.
            kestrel.Limits.MaxRequestBodySize = null;
            GrpcTransfer.ConfigureServer(kestrel.Limits.Http2);
        });
        // Kestrel reads sockets one pool block at a time: 64 KiB blocks instead of 4 KiB (registered after Kestrel's own).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, TransportBlockPoolFactory>();

        var maxMessageBytes = builder.Configuration.GetValue(GrpcMessageLimit.Key, GrpcTransfer.MaxMessageBytes);
        builder.Services.AddSingleton(new GrpcMessageLimit(maxMessageBytes));
        builder.Services.AddTransient<IStartupFilter, GrpcMessageLimit.StartupFilter>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorMappingInterceptor>();
            grpc.MaxReceiveMessageSize = maxMessageBytes;
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
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready");
        app.MapGrpcHealthChecksService();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireHost($"*:{app.Configuration.GetValue("Platform:Ports:Http", 8081)}");
        return app;
    }

    /// <summary>
    /// Runs the host, or with the argument <c>migrate</c> brings every database of this host up to
    /// date and exits (the Helm pre-install/pre-upgrade hook runs this).
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
        await app.RunAsync();
    }

    /// <summary>
    /// Registers a typed gRPC client for an internal service whose address is <c>Services:{name}</c>
    /// (for example <c>Services:ModelStore = http://model-store:8080</c>), with the HTTP/2 windows of
    /// <see cref="GrpcTransfer"/> so data sets and artifacts stream at full speed.
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
        .ConfigureChannel(channel =>
        {
            channel.MaxReceiveMessageSize = GrpcTransfer.MaxMessageBytes;
        });
    }
}
