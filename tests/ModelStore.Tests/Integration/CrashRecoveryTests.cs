using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts;
using Platform.ModelStore.Data;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// The model store as its own process (the built Platform.ModelStore.dll, configured by environment variables as in a
/// container) on PostgreSQL and RabbitMQ, killed with SIGKILL at the two dangerous moments of a registration: after its
/// bytes are in the blob store but before its row commits, and after the row (and its event) committed but before the
/// event was published. After a restart, nothing is left half-done and the event goes out exactly once.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests(PlatformServers servers) : IAsyncLifetime
{
    private readonly TempFolder _blobs = new();
    private readonly List<ServiceProcess> _processes = [];
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");
    private string _database = "";
    private string _virtualHost = "";

    public async Task InitializeAsync()
    {
        _database = await servers.CreateDatabaseAsync("model_store_crash");
        _virtualHost = await servers.CreateVirtualHostAsync("model-store-crash");
    }

    public async Task DisposeAsync()
    {
        // Whatever a test left running (a failed assertion skips its own clean-up) is killed here.
        foreach (var process in _processes)
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // Already disposed by the test.
            }
        }
        _blobs.Dispose();
    }

    private async Task<ServiceProcess> StartStoreAsync(string orphanGracePeriod = "01:00:00")
    {
        var process = await ServiceProcess.StartAsync("ModelStore", new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Database__CreateOnStartup"] = "true",
            ["ConnectionStrings__ModelStore"] = _database,
            ["BlobStore__Root"] = _blobs.Path,
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = _virtualHost,
            ["ModelStore__Maintenance__Enabled"] = "false",
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
            ["ModelStore__Maintenance__OrphanGracePeriod"] = orphanGracePeriod,
            // Retry quickly in the test once the broker is back.
            ["ModelStore__Outbox__PublishTimeout"] = "00:00:02",
            ["ModelStore__Outbox__MaxRetryDelay"] = "00:00:01",
        });
        _processes.Add(process);
        return process;
    }

    /// <summary>SIGKILL, no shutdown; returns once the process is gone.</summary>
    private static async Task KillAsync(ServiceProcess store)
    {
        store.Kill();
        await store.DisposeAsync();
    }

    private static async Task<ModelVersion> RegisterAsync(ServiceProcess store, IEnumerable<RegisterModelVersionRequest> messages)
    {
        using var channel = InternalCaller.Channel(store.GrpcAddress);
        using var call = new ModelRegistry.ModelRegistryClient(channel).RegisterModelVersion(ModelStoreHost.Tenant("acme"));
        foreach (var message in messages) await call.RequestStream.WriteAsync(message);
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private async Task<T> QueryAsync<T>(Func<ModelStoreDbContext, Task<T>> query)
    {
        await using var db = new ModelStoreDbContext(new DbContextOptionsBuilder<ModelStoreDbContext>().UseNpgsql(_database).Options);
        return await query(db);
    }

    private string BlobPath(string sha256) => Path.Combine(_blobs.Path, "sha256", sha256[..2], sha256);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting until {what}");
    }

    [Fact]
    public async Task Killed_after_writing_the_blob_and_before_committing_the_row_leaves_only_an_orphan_that_the_sweep_removes()
    {
        await using var events = await RegistryEventRecorder.StartAsync(_virtualHost);
        var store = await StartStoreAsync();
        await RegisterAsync(store, Registration("penguins", "job-1", RandomBytes(1000, seed: 1), _predictions));
        // Version 1's event is out and marked sent before the crash, so the kill below tests only the blob window (a kill
        // between the broker taking an event and the row being marked repeats it, with the same message id: at least
        // once, see the next test and docs/registry.md).
        await WaitUntilAsync(async () => await QueryAsync(db => db.OutboxMessages.AllAsync(m => m.SentAt != null)),
            "version 1's event is published and marked sent");
        var model2 = RandomBytes(1000, seed: 2);
        var predictions2 = Encoding.UTF8.GetBytes("Species,PredictedLabel\nGentoo,Gentoo\n");

        // Hold back inserts of versions: the next registration gets as far as moving its bytes into the blob store
        // and then waits on its INSERT, inside its transaction, where the process is killed.
        await using (var blocker = new NpgsqlConnection(_database))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE model_versions IN SHARE MODE", blocker, transaction))
                await lockTable.ExecuteNonQueryAsync();

            var registration = RegisterAsync(store, Registration("penguins", "job-2", model2, predictions2));
            await WaitUntilAsync(() => Task.FromResult(File.Exists(BlobPath(Sha256(model2))) && File.Exists(BlobPath(Sha256(predictions2)))),
                "the second version's bytes are in the blob store");
            await KillAsync(store);
            await Assert.ThrowsAsync<RpcException>(() => registration);
            await transaction.RollbackAsync();
        }

        Assert.True(File.Exists(BlobPath(Sha256(model2))));
        Assert.Equal(1, await QueryAsync(db => db.ModelVersions.CountAsync()));

        // Restarted (with no grace period, so this test need not wait an hour): the sweep removes the orphans.
        store = await StartStoreAsync(orphanGracePeriod: "00:00:00");
        {
            using var channel = InternalCaller.Channel(store.GrpcAddress);
            var report = await new RegistryMaintenance.RegistryMaintenanceClient(channel).RunMaintenanceAsync(new RunMaintenanceRequest());

            Assert.Equal(2, report.OrphanBlobsDeleted);
            Assert.Empty(report.Dangling);
            Assert.False(File.Exists(BlobPath(Sha256(model2))));
            Assert.False(File.Exists(BlobPath(Sha256(predictions2))));
            Assert.Empty(Directory.GetFiles(Path.Combine(_blobs.Path, "tmp")));

            // The worker retries the job: it gets the number the crashed attempt never took, with its bytes.
            var retried = await RegisterAsync(store, Registration("penguins", "job-2", model2, predictions2));
            using var download = new ModelService.ModelServiceClient(channel).DownloadModelVersion(
                new DownloadModelVersionRequest { ModelName = "penguins", Version = 2 }, ModelStoreHost.Tenant("acme"));
            var bytes = new List<byte>();
            await foreach (var chunk in download.ResponseStream.ReadAllAsync()) bytes.AddRange(chunk.Data);
            Assert.Equal(2, retried.Version);
            Assert.Equal(model2, bytes);

            var registered = await events.WaitForAsync<ModelVersionRegistered>(2);
            Assert.Equal([1, 2], registered.Select(e => e.Version).Order());
        }
    }

    [Fact]
    public async Task Killed_after_committing_and_before_publishing_the_event_is_published_exactly_once_after_restart()
    {
        var store = await StartStoreAsync();
        using var outage = new BrokerOutage(servers, _virtualHost);

        // The broker goes away; the registration still commits, with its event in the outbox.
        await outage.BeginAsync();
        var registered = await RegisterAsync(store, Registration("penguins", "job-1", RandomBytes(1000, seed: 1), _predictions));
        await WaitUntilAsync(async () => await QueryAsync(db => db.OutboxMessages.AnyAsync(m => m.Attempts > 0)),
            "the store has tried to publish and failed");
        var pending = await QueryAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync());
        Assert.Null(pending.SentAt);
        await KillAsync(store);

        // The broker is back, a subscriber is listening, the store restarts.
        await outage.EndAsync();
        await using var events = await RegistryEventRecorder.StartAsync(_virtualHost);
        store = await StartStoreAsync();
        {
            var published = await events.WaitForAsync<ModelVersionRegistered>(1);
            Assert.Equal(Guid.Parse(registered.Id), Assert.Single(published).VersionId);
            Assert.Equal(pending.MessageId, events.Received.Single().MessageId);
            await WaitUntilAsync(async () => await QueryAsync(db => db.OutboxMessages.AllAsync(m => m.SentAt != null)), "the event is marked sent");

            // One more registration: its event arrives after any repeat of the first would have, so a single copy of the
            // first at this point means it went out once.
            await RegisterAsync(store, Registration("penguins", "job-2", RandomBytes(1000, seed: 2), _predictions));
            var all = await events.WaitForAsync<ModelVersionRegistered>(2);
            Assert.Equal([1, 2], all.Select(e => e.Version));
        }
    }
}
