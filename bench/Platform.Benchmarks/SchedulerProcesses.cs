using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// The model store and the scheduler as processes (<c>dotnet Platform.X.dll</c>, migrated first) on fresh databases and
/// a fresh virtual host of the benchmark's RabbitMQ + PostgreSQL, with a blob folder of their own, deleted at the end.
/// </summary>
internal sealed class SchedulerProcesses : IAsyncDisposable
{
    private SchedulerProcesses(string schedulerDatabase, string storeDatabase, string virtualHost, string blobs, ServiceProcess store, ServiceProcess scheduler)
    {
        SchedulerDatabase = schedulerDatabase;
        StoreDatabase = storeDatabase;
        VirtualHost = virtualHost;
        Blobs = blobs;
        Store = store;
        Scheduler = scheduler;
    }

    public string SchedulerDatabase { get; }
    public string StoreDatabase { get; }
    /// <summary>The virtual host's amqp:// URI.</summary>
    public string VirtualHost { get; }
    public string Blobs { get; }
    public ServiceProcess Store { get; }
    public ServiceProcess Scheduler { get; }

    /// <param name="name">Prefix of the databases, virtual host and blob folder.</param>
    /// <param name="scheduler">Scheduler settings over the defaults (environment-variable names).</param>
    public static async Task<SchedulerProcesses> StartAsync(PlatformServers servers, string name, IReadOnlyDictionary<string, string>? scheduler = null)
    {
        var schedulerDb = await servers.CreateDatabaseAsync($"{name}_scheduler");
        var storeDb = await servers.CreateDatabaseAsync($"{name}_store");
        var vhost = await servers.CreateVirtualHostAsync(name.Replace('_', '-'));
        var blobs = Directory.CreateTempSubdirectory($"{name}-blobs").FullName;
        ServiceProcess? store = null;
        try
        {
            var common = new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["Messaging__Transport"] = "RabbitMq",
                ["ConnectionStrings__RabbitMq"] = vhost,
                ["Logging__LogLevel__Platform"] = "Warning",
                [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
            };
            var storeEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__ModelStore"] = storeDb, ["BlobStore__Root"] = blobs };
            var schedulerEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__Scheduler"] = schedulerDb };
            foreach (var (key, value) in scheduler ?? new Dictionary<string, string>()) schedulerEnv[key] = value;
            await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
            await ServiceProcess.RunToCompletionAsync("Scheduler", "migrate", schedulerEnv);
            store = await ServiceProcess.StartAsync("ModelStore", storeEnv);
            schedulerEnv["Services__ModelStore"] = store.GrpcAddress.ToString();
            var schedulerProcess = await ServiceProcess.StartAsync("Scheduler", schedulerEnv);
            return new SchedulerProcesses(schedulerDb, storeDb, vhost, blobs, store, schedulerProcess);
        }
        catch
        {
            if (store is not null) await store.DisposeAsync();
            Directory.Delete(blobs, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Scheduler.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(Blobs, recursive: true);
    }
}
