using Grpc.Net.Client;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The platform as it runs in a cluster: gateway, scheduler, two workers and model store, each its own process,
/// on real PostgreSQL (a fresh database per service) and real RabbitMQ (a fresh virtual host), with authentication
/// on: the services share a service credential, and the tests call the gateway with an admin API key made the way an
/// operator makes the first one (the gateway's <c>keys create</c> host command).
/// </summary>
public sealed class DistributedPlatform : IAsyncLifetime
{
    private readonly PlatformServers _servers = new();
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));

    /// <summary>The worker processes' names (<c>Worker:Name</c>).</summary>
    public static IReadOnlyList<string> WorkerNames { get; } = ["worker-1", "worker-2"];

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
        var gateway = await Start("Gateway", new Dictionary<string, string>(gatewayEnv)
        {
            ["Services__Scheduler"] = scheduler.GrpcAddress.ToString(),
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
        });
        GatewayAddress = gateway.GrpcAddress;
        RememberSecret(AdminKey);
        RememberSecret(InternalCaller.Token);
        // The test servers' passwords are short words ("guest"), so long ones are looked for alone and every one in
        // the user:password@ form a URI with credentials would show.
        foreach (var connection in new[] { schedulerDb, storeDb, gatewayDb, rabbit })
        {
            if (Password(connection) is not { Length: > 0 } password) continue;
            if (password.Length >= 12) RememberSecret(password);
            if (Uri.TryCreate(connection, UriKind.Absolute, out var uri)) RememberSecret(uri.UserInfo + "@");
        }
        Gateway = PublicCaller.Channel(gateway.GrpcAddress, AdminKey);
        GatewayTransfers = gateway.TransfersAddress;
    }

    /// <summary>Every scope there is.</summary>
    public static readonly string[] AllScopes =
        ["datasets:read", "datasets:write", "jobs:submit", "jobs:read", "models:read", "models:write", "models:approve", "data:erase", "admin"];

    private readonly List<string> _secrets = [];

    /// <summary>A key, token or password that must never appear in any service's log (checked when the platform stops).</summary>
    public void RememberSecret(string secret)
    {
        lock (_secrets) _secrets.Add(secret);
    }

    /// <summary>
    /// The secrets (<see cref="RememberSecret"/>, the admin key, the service credential, the servers' passwords) that the
    /// services' logs contain: none, if nothing leaked.
    /// </summary>
    public IReadOnlyList<string> LeakedSecrets()
    {
        var logs = Logs();
        lock (_secrets)
            return _secrets.Where(secret => logs.Contains(secret, StringComparison.Ordinal)).Select(secret => secret[..Math.Min(12, secret.Length)] + "…").ToList();
    }

    /// <summary>Everything the services printed, for a failing assertion's message.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    public async Task DisposeAsync()
    {
        Gateway?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        // Acceptance: a scan of every log of the whole run (whatever the tests did) finds no key, token or password.
        var leaked = _processes.Count > 0 ? LeakedSecrets() : [];
        await _servers.DisposeAsync();
        if (Directory.Exists(_blobRoot)) Directory.Delete(_blobRoot, recursive: true);
        if (leaked.Count > 0)
            throw new InvalidOperationException($"The services' logs contain secrets: {string.Join(", ", leaked)}");
    }

    /// <summary>The password in a PostgreSQL connection string or an amqp:// URI, if any.</summary>
    private static string? Password(string connection)
    {
        if (Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.UserInfo.Split(':', 2) is [_, var secret]) return Uri.UnescapeDataString(secret);
        return connection.Split(';').Select(part => part.Split('=', 2)).FirstOrDefault(kv => kv[0].Trim().Equals("Password", StringComparison.OrdinalIgnoreCase)) is [_, var value]
            ? value
            : null;
    }

    private async Task<ServiceProcess> Start(string service, Dictionary<string, string> environment)
    {
        var process = await ServiceProcess.StartAsync(service, environment);
        _processes.Add(process);
        return process;
    }
}
