using System.Globalization;
using Microsoft.Extensions.Configuration.Memory;

namespace Platform.Standalone;

public static class StandaloneDefaults
{
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
        var grpcPort = configuration.GetValue("Platform:Ports:Grpc", 5080);
        var self = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{grpcPort}");

        var defaults = new Dictionary<string, string?>
        {
            ["Platform:Ports:Grpc"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Platform:Ports:Http"] = "5081",
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Database:Provider"] = "Sqlite",
            ["Database:CreateOnStartup"] = "true",
            ["ConnectionStrings:Scheduler"] = $"Data Source={Path.Combine(dataDirectory, "scheduler.db")}",
            ["ConnectionStrings:ModelStore"] = $"Data Source={Path.Combine(dataDirectory, "model-store.db")}",
            ["Messaging:Transport"] = "InMemory",
            ["BlobStore:Root"] = Path.Combine(dataDirectory, "blobs"),
            ["Worker:ScratchDirectory"] = Path.Combine(dataDirectory, "scratch"),
            // The scheduler and the worker reach the model store as in a cluster, over gRPC, here on this process's own port.
            ["Services:ModelStore"] = self,
            ["Services:Scheduler"] = self,
        };
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        return builder;
    }
}
