using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Registry events as a subscriber on a real RabbitMQ virtual host receives them, from a store on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class RegistryEventsTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;
    private RegistryEventRecorder _events = null!;

    public async Task InitializeAsync()
    {
        var virtualHost = await servers.CreateVirtualHostAsync("registry-events");
        // The subscriber's queue exists before anything is published, as a real subscriber's would.
        _events = await RegistryEventRecorder.StartAsync(virtualHost);
        _host = await ModelStoreHost.StartAsync(servers, virtualHost);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _events.DisposeAsync();
    }

    [Fact]
    public async Task Registering_uploading_moving_an_alias_and_deleting_each_publish_one_event()
    {
        var acme = ModelStoreHost.Tenant("acme");
        var registered = await _host.RegisterAsync(Registration("penguins", "job-1", RandomBytes(100, seed: 1), [1, 2]));
        var uploaded = await _host.UploadModelAsync(ModelUpload("penguins", RandomBytes(100, seed: 2)));
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, acme);
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 2, Actor = "release" }, acme);
        await _host.Models.DeleteModelVersionAsync(new DeleteModelVersionRequest { ModelName = "penguins", Version = 1, Actor = "ops" }, acme);

        var versions = await _events.WaitForAsync<ModelVersionRegistered>(2);
        var moves = await _events.WaitForAsync<ModelAliasMoved>(2);
        var deletions = await _events.WaitForAsync<ModelVersionDeleted>(1);

        var first = versions.Single(v => v.Version == 1);
        Assert.Equal((Guid.Parse(registered.Id), "acme", "penguins", "training_job", "job-1"), (first.VersionId, first.TenantId, first.ModelName, first.Source, first.JobId));
        Assert.Equal(Guid.Parse(registered.DatasetId), first.DatasetId);
        Assert.Equal(registered.Artifacts.Single(a => a.Kind == "model").Sha256, first.ModelSha256);
        // NaN (log_loss) is left out; the finite metrics travel.
        Assert.Equal(new Dictionary<string, double> { ["accuracy"] = 0.97, ["macro_f1"] = 0.96 }, first.Metrics);
        var second = versions.Single(v => v.Version == 2);
        Assert.Equal((Guid.Parse(uploaded.Id), "upload", null), (second.VersionId, second.Source, second.JobId));
        Assert.Equal([(null, 1, "ci"), (1, 2, "release")], moves.OrderBy(m => m.At).Select(m => (m.PreviousVersion, m.Version, m.Actor)));
        var deleted = Assert.Single(deletions);
        Assert.Equal((Guid.Parse(registered.Id), 1, "deleted", "ops"), (deleted.VersionId, deleted.Version, deleted.Reason, deleted.Actor));

        // Each event once, under the id of its outbox row, and every row marked sent.
        var rows = await _host.QueryAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
        for (var i = 0; i < 100 && rows.Any(r => r.SentAt is null); i++)
        {
            await Task.Delay(50);
            rows = await _host.QueryAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
        }
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r.SentAt));
        Assert.Equal(rows.Select(r => (Guid?)r.MessageId).Order(), _events.Received.Select(r => r.MessageId).Order());
    }
}
