using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration.Memory;

namespace Platform.Standalone;

public static class StandaloneDefaults
{
    /// <summary>The gRPC port of the embedded platform (the CLI's default gateway address).</summary>
    public const int GrpcPort = 5080;

    /// <summary>The health port of the embedded platform.</summary>
    public const int HttpPort = 5081;

    /// <summary>The byte stream's HTTP/1.1 port of the embedded platform (the CLI's <c>--transfers</c>).</summary>
    public const int TransfersPort = 5082;

    /// <summary>The backends' gRPC port, on loopback, for the gateway and the worker inside this process only.</summary>
    public const int InternalPort = 5083;

    /// <summary>The model store's byte-stream port, on loopback, for the gateway's relay and the worker only.</summary>
    public const int InternalTransfersPort = 5084;

    /// <summary>
    /// Embedded defaults (lowest priority, so any setting can still be overridden): SQLite files, the in-memory
    /// bus and a blob folder under one data directory (<c>Platform:DataDirectory</c>, default ./.platform-data),
    /// and internal clients pointed back at this process. The gateway serves the public ports as in a cluster; the
    /// backends listen on two more loopback-only ports, with a service credential made afresh at every start, so the
    /// host exposes exactly what a cluster exposes. Authentication is open (<c>Authentication:Open</c>: callers
    /// without a credential act as the local administrator of tenant <c>default</c>, on loopback only) unless
    /// <c>Authentication:Open=false</c> or an identity provider (<c>Authentication:Jwt</c>) is configured.
    /// </summary>
    public static WebApplicationBuilder AddStandaloneDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var dataDirectory = Path.GetFullPath(configuration["Platform:DataDirectory"] ?? ".platform-data");
        Directory.CreateDirectory(dataDirectory);

        // The backends' addresses follow the final internal ports, so overriding them still works.
        var internalAddress = Loopback(configuration.GetValue("Platform:Ports:Internal", InternalPort));
        var jwtConfigured = !string.IsNullOrEmpty(configuration["Authentication:Jwt:Authority"]) || !string.IsNullOrEmpty(configuration["Authentication:Jwt:Issuer"]);

        var defaults = new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = dataDirectory,
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Http"] = HttpPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Transfers"] = TransfersPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Internal"] = InternalPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:InternalTransfers"] = InternalTransfersPort.ToString(CultureInfo.InvariantCulture),
            ["Database:Provider"] = "Sqlite",
            ["Database:CreateOnStartup"] = "true",
            ["ConnectionStrings:Scheduler"] = $"Data Source={Path.Combine(dataDirectory, "scheduler.db")}",
            ["ConnectionStrings:ModelStore"] = $"Data Source={Path.Combine(dataDirectory, "model-store.db")}",
            ["ConnectionStrings:Gateway"] = $"Data Source={Path.Combine(dataDirectory, "gateway.db")}",
            ["ConnectionStrings:Serving"] = $"Data Source={Path.Combine(dataDirectory, "serving.db")}",
            ["Messaging:Transport"] = "InMemory",
            ["BlobStore:Root"] = Path.Combine(dataDirectory, "blobs"),
            ["Worker:ScratchDirectory"] = Path.Combine(dataDirectory, "scratch"),
            ["Serving:ScratchDirectory"] = Path.Combine(dataDirectory, "scratch"),
            // The gateway, the scheduler and the worker reach the backends as in a cluster, over gRPC, here on this
            // process's internal port.
            ["Services:Scheduler"] = internalAddress,
            ["Services:ModelStore"] = internalAddress,
            // The serving service is public like the gateway, on the same port; it reads API keys from the gateway's
            // database directly in this process (the gateway's registration wins), so this address is only a default.
            ["Services:Gateway"] = internalAddress,
            // The worker and the gateway's relay move bytes over the store's byte stream, on the internal transfers port.
            ["Services:ModelStoreTransfers"] = Loopback(configuration.GetValue("Platform:Ports:InternalTransfers", InternalTransfersPort)),
            // Only this process's own parts call each other: a secret that lives as long as the process.
            ["Authentication:ServiceToken"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Authentication:Open"] = jwtConfigured ? "false" : "true",
            // One user on one machine: no per-key limits unless configured (benchmarks drive it hard on purpose).
            ["RateLimits:RequestsPerSecond"] = "0",
            ["RateLimits:ConcurrentStreams"] = "0",
        };
        // Index 0 is the lowest priority: appsettings, environment variables and the command line all win.
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        return builder;
    }

    private static string Loopback(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
}
