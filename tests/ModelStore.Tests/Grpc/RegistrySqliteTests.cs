using System.Reflection;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Testing.Grpc;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Grpc;

/// <summary>
/// The registry on SQLite, as the standalone host runs it: the same features the PostgreSQL integration tests cover,
/// checked here for what differs between the engines (query translation, locking, the outbox without row claiming).
/// </summary>
public sealed class RegistrySqliteTests : IDisposable
{
    private readonly SqliteModelStore _store = new();
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");

    public void Dispose() => _store.Dispose();

    private static TestServerCallContext Acme => TestServerCallContext.ForTenant("acme");

    private Task<ModelVersion> RegisterAsync(string model, int job, double accuracy = 0.9, params (string Key, string Value)[] tags)
    {
        var version = Version(model, $"job-{model}-{job}");
        version.Metrics["accuracy"] = accuracy;
        foreach (var (key, value) in tags) version.Tags[key] = value;
        return _store.Registry().RegisterModelVersion(new TestAsyncStreamReader<RegisterModelVersionRequest>(
            Registration(version, new ArtifactUpload("model", RandomBytes(500, seed: job)), new ArtifactUpload("predictions", _predictions))), Acme);
    }

    [Fact]
    public async Task Search_by_prefix_tag_and_metric_translates_on_sqlite()
    {
        await RegisterAsync("penguins", 1, 0.8, ("team", "vision"));
        _store.Time.Advance(TimeSpan.FromSeconds(1));
        await RegisterAsync("Penguins-upper", 2, 0.95);
        _store.Time.Advance(TimeSpan.FromSeconds(1));
        await RegisterAsync("penguins-v2", 3, 0.99, ("team", "vision"));

        var response = await _store.Models().SearchModelVersions(new SearchModelVersionsRequest
        {
            ModelNamePrefix = "pen",
            Tags = { ["team"] = "vision" },
            Metrics = { new MetricFilter { Name = "accuracy", Min = 0.9 } },
        }, Acme);
        var listed = await _store.Models().ListModels(new ListModelsRequest { NamePrefix = "pen" }, Acme);

        // The prefix is case-sensitive on SQLite too.
        Assert.Equal(["penguins-v2:1"], response.Versions.Select(v => $"{v.ModelName}:{v.Version}"));
        Assert.Equal(["penguins", "penguins-v2"], listed.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task Aliases_move_resolve_and_publish_through_the_outbox()
    {
        await _store.Bus.Start();
        await RegisterAsync("penguins", 1);
        await RegisterAsync("penguins", 2);
        await _store.Models().SetModelAlias(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, Acme);
        await _store.Models().SetModelAlias(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 2, Actor = "ci" }, Acme);

        var resolved = await _store.Models().ResolveModel(new ResolveModelRequest { Reference = "penguins@production" }, Acme);
        var published = await _store.Publisher().PublishPendingAsync(CancellationToken.None);
        var again = await _store.Publisher().PublishPendingAsync(CancellationToken.None);

        Assert.Equal(2, resolved.Version);
        Assert.Equal(4, published);
        Assert.Equal(0, again);
        Assert.Equal(2, _store.Bus.Published.Select<ModelVersionRegistered>().Count());
        var moves = _store.Bus.Published.Select<ModelAliasMoved>().Select(m => m.Context.Message).ToList();
        Assert.Equal([(null, 1), (1, 2)], moves.Select(m => (m.PreviousVersion, m.Version)));
        await using var db = _store.NewDbContext();
        Assert.All(await db.OutboxMessages.ToListAsync(), m => Assert.Equal(_store.Time.GetUtcNow(), m.SentAt));
    }

    [Fact]
    public async Task An_event_that_cannot_be_published_waits_with_a_growing_delay()
    {
        var broker = new BrokerSwitch();
        using var store = new SqliteModelStore(services: services => services.AddScoped(provider => broker.Endpoint(provider.GetRequiredService<IBus>())));
        var version = Version("penguins", "job-1");
        await store.Registry().RegisterModelVersion(new TestAsyncStreamReader<RegisterModelVersionRequest>(
            Registration(version, new ArtifactUpload("model", [1, 2, 3]))), Acme);

        var first = await store.Publisher().PublishPendingAsync(CancellationToken.None);
        var tooSoon = await store.Publisher().PublishPendingAsync(CancellationToken.None);
        await using var db = store.NewDbContext();
        var row = await db.OutboxMessages.AsNoTracking().SingleAsync();

        Assert.Equal(0, first);
        Assert.Equal(0, tooSoon);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.SentAt);
        Assert.Equal(store.Time.GetUtcNow().AddSeconds(1), row.NextAttemptAt);
        Assert.NotNull(row.LastError);

        await store.Bus.Start();
        broker.Up = true;
        store.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await store.Publisher().PublishPendingAsync(CancellationToken.None));
    }

    /// <summary>Wraps the bus's publish endpoint so a test can take the broker down: every publish then fails.</summary>
    private sealed class BrokerSwitch
    {
        public bool Up { get; set; }

        public IPublishEndpoint Endpoint(IPublishEndpoint bus)
        {
            var proxy = DispatchProxy.Create<IPublishEndpoint, SwitchedEndpoint>();
            ((SwitchedEndpoint)(object)proxy).Configure(this, bus);
            return proxy;
        }
    }

    /// <summary>Forwards to the real endpoint while the switch is up; fails every call (as a broker outage does) while down.</summary>
    public class SwitchedEndpoint : DispatchProxy
    {
        private BrokerSwitch _switch = null!;
        private IPublishEndpoint _bus = null!;

        internal void Configure(object brokerSwitch, IPublishEndpoint bus)
        {
            _switch = (BrokerSwitch)brokerSwitch;
            _bus = bus;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            _switch.Up
                ? targetMethod!.Invoke(_bus, args)
                : Task.FromException(new InvalidOperationException("The broker is unreachable."));
    }

    [Fact]
    public async Task Deletion_retention_and_the_orphan_sweep_work_on_sqlite()
    {
        for (var i = 1; i <= 4; i++) await RegisterAsync("penguins", i);
        await _store.Models().SetModelAlias(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, Acme);
        var refused = await Assert.ThrowsAsync<FailedPreconditionException>(() => _store.Models().DeleteModelVersion(
            new DeleteModelVersionRequest { ModelName = "penguins", Version = 1, Actor = "ops" }, Acme));
        var deleted = await _store.Models().DeleteModelVersion(new DeleteModelVersionRequest { ModelName = "penguins", Version = 4, Actor = "ops" }, Acme);
        await _store.Models().SetRetentionPolicy(new SetRetentionPolicyRequest { ModelName = "penguins", KeepLastVersions = 1 }, Acme);
        var orphan = Path.Combine(_store.Blobs.Root, "sha256", "ab", new string('a', 1) + "b" + new string('0', 62));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, [1]);
        File.SetLastWriteTimeUtc(orphan, _store.Time.GetUtcNow().UtcDateTime.AddHours(-2));

        var report = await _store.Maintenance().RunAsync(CancellationToken.None);

        Assert.Contains("production", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, deleted.BlobsDeleted);
        Assert.Equal([2], report.RetiredVersions.Select(v => v.Version));
        Assert.Equal(1, report.OrphanBlobsDeleted);
        Assert.Empty(report.Dangling);
        var remaining = await _store.Models().ListModelVersions(new ListModelVersionsRequest { ModelName = "penguins" }, Acme);
        Assert.Equal([3, 1], remaining.Versions.Select(v => v.Version));
        // Versions 3 and 1: a model blob each, and the predictions they share.
        Assert.Equal(3, _store.BlobFileCount);
    }

    [Fact]
    public async Task Erasure_works_on_sqlite()
    {
        var dataset = await _store.Datasets().UploadDataset(
            new TestAsyncStreamReader<Platform.Datasets.V1.UploadDatasetRequest>(Upload("penguins.csv", Penguins())), Acme);
        var version = Version("penguins", "job-1");
        version.DatasetId = dataset.Id;
        await _store.Registry().RegisterModelVersion(new TestAsyncStreamReader<RegisterModelVersionRequest>(
            Registration(version, new ArtifactUpload("model", [1, 2, 3]))), Acme);

        var record = await _store.Models().EraseDataset(new EraseDatasetRequest { DatasetId = dataset.Id, Cascade = true, Actor = "dpo" }, Acme);

        Assert.Equal(["penguins"], record.Versions.Select(v => v.ModelName));
        Assert.Equal(2, record.BlobsDeleted);
        Assert.Equal(0, _store.BlobFileCount);
    }
}
