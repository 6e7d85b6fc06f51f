using Grpc.Net.Client;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The platform as it runs in a cluster: gateway, scheduler, two workers and model store, each its own process,
/// on real PostgreSQL (a fresh database per service) and real RabbitMQ (a fresh virtual host).
/// </summary>
public sealed class DistributedPlatform : IAsyncLifetime
{
    private readonly PlatformServers _servers = new();
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));

    /// <summary>The worker processes' names (<c>Worker:Name</c>).</summary>
    public static IReadOnlyList<string> WorkerNames { get; } = ["worker-1", "worker-2"];

    public GrpcChannel Gateway { get; private set; } = null!;
    /// <summary>The gateway's byte stream (HTTP/1.1), relayed to the model store's.</summary>
    public Uri GatewayTransfers { get; private set; } = null!;
    public string BlobRoot => _blobRoot;
    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        var schedulerDb = await _servers.CreateDatabaseAsync("e2e_scheduler");
        var storeDb = await _servers.CreateDatabaseAsync("e2e_store");
        var rabbit = await _servers.CreateVirtualHostAsync("e2e");

        var common = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = rabbit,
        };
        var storeEnv = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__ModelStore"] = storeDb,
            ["BlobStore__Root"] = _blobRoot,
        };
        var schedulerEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__Scheduler"] = schedulerDb };

        // Schema first, by the same command the Helm hook runs.
        await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
        await ServiceProcess.RunToCompletionAsync("Scheduler", "migrate", schedulerEnv);

        var store = await Start("ModelStore", storeEnv);
        schedulerEnv["Services__ModelStore"] = store.GrpcAddress.ToString();
        var scheduler = await Start("Scheduler", schedulerEnv);
        // Two worker replicas (a sweep's trials run on both at once). They move bytes over the store's byte stream (data sets
        // down, artifacts up), as the chart configures it.
        foreach (var name in WorkerNames)
        {
            await Start("Worker", new Dictionary<string, string>(common)
            {
                ["Services__ModelStore"] = store.GrpcAddress.ToString(),
                ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
                ["Worker__Name"] = name,
            });
        }
        var gateway = await Start("Gateway", new Dictionary<string, string>
        {
            ["Services__Scheduler"] = scheduler.GrpcAddress.ToString(),
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
        });
        Gateway = GrpcChannel.ForAddress(gateway.GrpcAddress);
        GatewayTransfers = gateway.TransfersAddress;
    }

    /// <summary>Everything the services printed, for a failing assertion's message.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    public async Task DisposeAsync()
    {
        Gateway?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        await _servers.DisposeAsync();
        if (Directory.Exists(_blobRoot)) Directory.Delete(_blobRoot, recursive: true);
    }

    private async Task<ServiceProcess> Start(string service, Dictionary<string, string> environment)
    {
        var process = await ServiceProcess.StartAsync(service, environment);
        _processes.Add(process);
        return process;
    }
}
