using Grpc.Net.Client;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The platform as it runs in a cluster: gateway, scheduler, worker and model store, each its own process,
/// on real PostgreSQL (a fresh database per service) and real RabbitMQ (a fresh virtual host), with authentication
/// on: the services share a service credential, and the tests call the gateway with an admin API key made the way an
/// operator makes the first one (the gateway's <c>keys create</c> host command).
/// </summary>
public sealed class DistributedPlatform : IAsyncLifetime
{
    private readonly PlatformServers _servers = new();
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));

    /// <summary>A channel to the gateway that calls with <see cref="AdminKey"/>.</summary>
    public GrpcChannel Gateway { get; private set; } = null!;
    /// <summary>The gateway's gRPC address, for channels with other credentials.</summary>
    public Uri GatewayAddress { get; private set; } = null!;
    /// <summary>The gateway's byte stream (HTTP/1.1), relayed to the model store's.</summary>
    public Uri GatewayTransfers { get; private set; } = null!;
    /// <summary>The bootstrap key: tenant <c>default</c>, every scope (admin included, so it may act for other tenants).</summary>
    public string AdminKey { get; private set; } = null!;
    /// <summary>The service credential the services share.</summary>
    public string ServiceToken => InternalCaller.Token;

    /// <summary>A byte-stream client that calls with <see cref="AdminKey"/>.</summary>
    public HttpClient NewTransfersClient() => PublicCaller.HttpClient(GatewayTransfers, AdminKey);
    public string BlobRoot => _blobRoot;
    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        var schedulerDb = await _servers.CreateDatabaseAsync("e2e_scheduler");
        var storeDb = await _servers.CreateDatabaseAsync("e2e_store");
        var gatewayDb = await _servers.CreateDatabaseAsync("e2e_gateway");
        var rabbit = await _servers.CreateVirtualHostAsync("e2e");

        var common = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = rabbit,
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
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
        var gatewayEnv = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Gateway"] = gatewayDb,
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
        };
        await ServiceProcess.RunToCompletionAsync("Gateway", "migrate", gatewayEnv);
        // The first admin key, as docs/security.md tells an operator to make it.
        AdminKey = (await ServiceProcess.RunToCompletionAsync("Gateway",
            "keys create --tenant default --name e2e-admin " + string.Join(" ", AllScopes.Select(scope => "--scope " + scope)), gatewayEnv)).Trim();

        var store = await Start("ModelStore", storeEnv);
        schedulerEnv["Services__ModelStore"] = store.GrpcAddress.ToString();
        var scheduler = await Start("Scheduler", schedulerEnv);
        // The worker moves bytes over the store's byte stream (data sets down, artifacts up), as the chart configures it.
        await Start("Worker", new Dictionary<string, string>(common)
        {
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
        });
        var gateway = await Start("Gateway", new Dictionary<string, string>(gatewayEnv)
        {
            ["Services__Scheduler"] = scheduler.GrpcAddress.ToString(),
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
        });
        GatewayAddress = gateway.GrpcAddress;
        Gateway = PublicCaller.Channel(gateway.GrpcAddress, AdminKey);
        GatewayTransfers = gateway.TransfersAddress;
    }

    /// <summary>Every scope there is.</summary>
    public static readonly string[] AllScopes =
        ["datasets:read", "datasets:write", "jobs:submit", "jobs:read", "models:read", "models:write", "models:approve", "data:erase", "admin"];

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
