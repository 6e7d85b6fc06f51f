using System.Globalization;
using System.Net;
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

    /// <summary>
    /// Embedded defaults (lowest priority, so any setting can still be overridden): SQLite files, the in-memory
    /// bus and a blob folder under one data directory (<c>Platform:DataDirectory</c>, default ./.platform-data),
    /// and internal clients pointed back at this process.
    /// </summary>
    public static WebApplicationBuilder AddStandaloneDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var dataDirectory = Path.GetFullPath(configuration["Platform:DataDirectory"] ?? ".platform-data");
        Directory.CreateDirectory(dataDirectory);

        // The services' own addresses follow the final port and bind address, so overriding either still works.
        var grpcPort = configuration.GetValue("Platform:Ports:Grpc", GrpcPort);
        var self = SelfAddress(configuration.GetValue("Platform:BindAddress", "127.0.0.1")!, grpcPort);

        var defaults = new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = dataDirectory,
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Http"] = HttpPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Transfers"] = TransfersPort.ToString(CultureInfo.InvariantCulture),
            ["Database:Provider"] = "Sqlite",
            ["Database:CreateOnStartup"] = "true",
            ["ConnectionStrings:Scheduler"] = $"Data Source={Path.Combine(dataDirectory, "scheduler.db")}",
            ["ConnectionStrings:ModelStore"] = $"Data Source={Path.Combine(dataDirectory, "model-store.db")}",
            ["Messaging:Transport"] = "InMemory",
            ["BlobStore:Root"] = Path.Combine(dataDirectory, "blobs"),
            ["Worker:ScratchDirectory"] = Path.Combine(dataDirectory, "scratch"),
            // The scheduler and the worker reach the model store as in a cluster, over gRPC, here on this process's own port.
            ["Services:Scheduler"] = self,
            ["Services:ModelStore"] = self,
            // The worker moves data set and artifact bytes over the store's byte stream, on this process's transfers port.
            ["Services:ModelStoreTransfers"] = SelfAddress(configuration.GetValue("Platform:BindAddress", "127.0.0.1")!,
                configuration.GetValue("Platform:Ports:Transfers", TransfersPort)),
        };
        // Index 0 is the lowest priority: appsettings, environment variables and the command line all win.
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        return builder;
    }

    /// <summary>How this process reaches its own gRPC port: loopback when it listens on every address.</summary>
    private static string SelfAddress(string bindAddress, int port)
    {
        var address = IPAddress.Parse(bindAddress);
        if (address.Equals(IPAddress.Any)) address = IPAddress.Loopback;
        if (address.Equals(IPAddress.IPv6Any)) address = IPAddress.IPv6Loopback;
        return new UriBuilder(Uri.UriSchemeHttp, address.ToString(), port).Uri.ToString().TrimEnd('/');
    }
}
