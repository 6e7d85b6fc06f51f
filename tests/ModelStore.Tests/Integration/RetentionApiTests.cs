using System.Text.Json;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Deleting versions, retention policies and the maintenance sweeps over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class RetentionApiTests(PlatformServers servers) : IAsyncLifetime
{
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private Task<ModelVersion> RegisterAsync(string model, int job) =>
        _host.RegisterAsync(Registration(model, $"job-{model}-{job}", RandomBytes(1000, seed: job), _predictions));

    private Task<DeleteModelVersionResponse> DeleteAsync(string model, int version, string actor = "ops@acme") =>
        _host.Models.DeleteModelVersionAsync(new DeleteModelVersionRequest { ModelName = model, Version = version, Actor = actor }, Acme).ResponseAsync;

    private bool BlobExists(string sha256) => File.Exists(_host.Blobs.PathOf(sha256));

    private static string ModelSha256(ModelVersion version) => version.Artifacts.Single(a => a.Kind == "model").Sha256;

    [Fact]
    public async Task Deleting_a_version_deletes_its_blobs_but_keeps_bytes_another_version_shares()
    {
        var v1 = await RegisterAsync("penguins", 1);
        var v2 = await RegisterAsync("penguins", 2);

        var deleted = await DeleteAsync("penguins", 1);
        var gone = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, Acme).ResponseAsync);
        var again = await Assert.ThrowsAsync<RpcException>(() => DeleteAsync("penguins", 1));

        Assert.Equal((1, 1000L), (deleted.BlobsDeleted, deleted.BytesFreed));
        Assert.False(BlobExists(ModelSha256(v1)));
        // The predictions bytes are the same in both versions: still needed by version 2.
        Assert.True(BlobExists(Sha256(_predictions)));
        Assert.True(BlobExists(ModelSha256(v2)));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
        Assert.Equal((0, 1, 1, 2), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Version_numbers_are_never_reused_after_deleting_the_newest()
    {
        await RegisterAsync("penguins", 1);
        await RegisterAsync("penguins", 2);

        await DeleteAsync("penguins", 2);
        var latest = await _host.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "penguins" }, Acme);
        var next = await RegisterAsync("penguins", 3);
        var models = await _host.Models.ListModelsAsync(new ListModelsRequest(), Acme);

        Assert.Equal(1, latest.Version);
        Assert.Equal(3, next.Version);
        Assert.Equal(3, models.Models.Single().LatestVersion);
    }

    [Fact]
    public async Task A_version_an_alias_points_at_is_not_deleted_until_the_alias_moves()
    {
        await RegisterAsync("penguins", 1);
        await RegisterAsync("penguins", 2);
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, Acme);

        var refused = await Assert.ThrowsAsync<RpcException>(() => DeleteAsync("penguins", 1));
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 2, Actor = "ci" }, Acme);
        var deleted = await DeleteAsync("penguins", 1);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("model version 'penguins:1' has the alias(es) production: move or remove them first", refused.Status.Detail);
        Assert.Equal(1, deleted.BlobsDeleted);
    }

    [Fact]
    public async Task Invalid_deletions_are_named()
    {
        await RegisterAsync("penguins", 1);

        var noActor = await Assert.ThrowsAsync<RpcException>(() => DeleteAsync("penguins", 1, actor: ""));
        var noVersion = await Assert.ThrowsAsync<RpcException>(() => DeleteAsync("penguins", 0));
        var badName = await Assert.ThrowsAsync<RpcException>(() => DeleteAsync("pen/guins", 1));

        Assert.StartsWith("actor: ", noActor.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("version: ", noVersion.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("model_name: ", badName.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((0, 1, 1, 2), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Retention_keeps_the_newest_versions_and_every_version_with_an_alias()
    {
        var versions = new List<ModelVersion>();
        for (var i = 1; i <= 6; i++) versions.Add(await RegisterAsync("penguins", i));
        var iris = await RegisterAsync("iris", 7);
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 2, Actor = "ci" }, Acme);

        var policy = await _host.Models.SetRetentionPolicyAsync(new SetRetentionPolicyRequest { ModelName = "penguins", KeepLastVersions = 2 }, Acme);
        var report = await _host.Maintenance.RunMaintenanceAsync(new RunMaintenanceRequest());
        var remaining = await _host.Models.ListModelVersionsAsync(new ListModelVersionsRequest { ModelName = "penguins" }, Acme);
        var second = await _host.Maintenance.RunMaintenanceAsync(new RunMaintenanceRequest());

        Assert.Equal(2, policy.KeepLastVersions);
        Assert.Equal([1, 3, 4], report.RetiredVersions.Select(v => v.Version).Order());
        Assert.All(report.RetiredVersions, v => Assert.Equal(("acme", "penguins"), (v.TenantId, v.ModelName)));
        Assert.Equal([6, 5, 2], remaining.Versions.Select(v => v.Version));
        Assert.All(new[] { 0, 2, 3 }, i => Assert.False(BlobExists(ModelSha256(versions[i]))));
        Assert.All(new[] { 1, 4, 5 }, i => Assert.True(BlobExists(ModelSha256(versions[i]))));
        Assert.True(BlobExists(ModelSha256(iris)));
        Assert.Empty(second.RetiredVersions);
        Assert.Empty(report.Dangling);
    }

    [Fact]
    public async Task Invalid_retention_policies_are_named()
    {
        await RegisterAsync("penguins", 1);

        var negative = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.SetRetentionPolicyAsync(new SetRetentionPolicyRequest { ModelName = "penguins", KeepLastVersions = -1 }, Acme).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.SetRetentionPolicyAsync(new SetRetentionPolicyRequest { ModelName = "iris", KeepLastVersions = 1 }, Acme).ResponseAsync);

        Assert.StartsWith("keep_last_versions: ", negative.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_sweep_deletes_old_orphan_blobs_and_stale_temp_files_and_reports_rows_whose_blob_is_missing()
    {
        var v1 = await RegisterAsync("penguins", 1);
        var v2 = await RegisterAsync("penguins", 2);
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var longAgo = DateTime.UtcNow.AddHours(-2);
        // Everything the rows refer to is old: age alone never gets a blob deleted.
        foreach (var file in Directory.GetFiles(Path.Combine(_host.Blobs.Root, "sha256"), "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, longAgo);
        var oldOrphan = WriteBlob(RandomBytes(300, seed: 100), longAgo);
        var youngOrphan = WriteBlob(RandomBytes(300, seed: 101), DateTime.UtcNow);
        var staleTemp = Path.Combine(_host.Blobs.TempFolder, "crashed-upload.tmp");
        await File.WriteAllBytesAsync(staleTemp, [1, 2, 3]);
        File.SetLastWriteTimeUtc(staleTemp, longAgo);
        var liveTemp = Path.Combine(_host.Blobs.TempFolder, "live-upload.tmp");
        await File.WriteAllBytesAsync(liveTemp, [4, 5, 6]);
        File.Delete(_host.Blobs.PathOf(ModelSha256(v2)));

        var report = await _host.Maintenance.RunMaintenanceAsync(new RunMaintenanceRequest());

        Assert.Equal((1, 300L, 1), (report.OrphanBlobsDeleted, report.OrphanBytesDeleted, report.TempFilesDeleted));
        Assert.False(BlobExists(oldOrphan));
        Assert.True(BlobExists(youngOrphan));
        Assert.False(File.Exists(staleTemp));
        Assert.True(File.Exists(liveTemp));
        Assert.True(BlobExists(ModelSha256(v1)));
        Assert.True(BlobExists(dataset.Sha256));
        var dangling = Assert.Single(report.Dangling);
        Assert.Equal(("acme", "artifact", "penguins:2/model", ModelSha256(v2)), (dangling.TenantId, dangling.Kind, dangling.Owner, dangling.Sha256));
        // Reported, never deleted: the row stays for an operator to restore its bytes.
        Assert.Equal((1, 1, 2, 4), await _host.CountRowsAsync());
        File.Delete(liveTemp);
    }

    private string WriteBlob(byte[] bytes, DateTime lastWrite)
    {
        var sha256 = Sha256(bytes);
        var path = _host.Blobs.PathOf(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, lastWrite);
        return sha256;
    }
}

/// <summary>Data-subject erasure over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class ErasureApiTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private Task<ModelVersion> RegisterAsync(string model, string job, string datasetId, string tenant = "acme")
    {
        var version = Version(model, job);
        version.DatasetId = datasetId;
        return _host.RegisterAsync(Registration(version,
            new ArtifactUpload("model", RandomBytes(1000, seed: job.GetHashCode(StringComparison.Ordinal))),
            new ArtifactUpload("predictions", Encoding.UTF8.GetBytes($"Species,PredictedLabel\n{job},x\n"))), tenant);
    }

    private Task<ErasureRecord> EraseAsync(string datasetId, bool cascade, string actor = "dpo@acme", string reference = "GDPR-2025-0042") =>
        _host.Models.EraseDatasetAsync(new EraseDatasetRequest { DatasetId = datasetId, Cascade = cascade, Actor = actor, RequestReference = reference }, Acme).ResponseAsync;

    [Fact]
    public async Task Every_version_trained_on_a_data_set_is_listed()
    {
        var penguins = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var other = await _host.UploadAsync(Upload("other.csv", "a,b\n1,2\n"));
        var p1 = await RegisterAsync("penguins", "job-1", penguins.Id);
        var s1 = await RegisterAsync("species", "job-2", penguins.Id);
        await RegisterAsync("other", "job-3", other.Id);

        var listed = await _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = penguins.Id }, Acme);
        var paged = await _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = penguins.Id, PageSize = 1 }, Acme);
        var rest = await _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = penguins.Id, PageSize = 1, PageToken = paged.NextPageToken }, Acme);
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = Guid.NewGuid().ToString() }, Acme).ResponseAsync);
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = penguins.Id }, ModelStoreHost.Tenant("globex")).ResponseAsync);

        Assert.Equal([s1.Id, p1.Id], listed.Versions.Select(v => v.Id));
        Assert.Equal([s1.Id, p1.Id], paged.Versions.Concat(rest.Versions).Select(v => v.Id));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.NotFound, otherTenant.StatusCode);
    }

    [Fact]
    public async Task Erasure_without_cascade_is_refused_while_versions_were_trained_on_the_data_set()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        await RegisterAsync("penguins", "job-1", dataset.Id);

        var error = await Assert.ThrowsAsync<RpcException>(() => EraseAsync(dataset.Id, cascade: false));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal($"1 model version(s) were trained on data set '{dataset.Id}' (penguins:1); erase with cascade to delete them too", error.Status.Detail);
        Assert.Equal((1, 1, 1, 2), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Erasure_deletes_the_data_set_the_versions_trained_on_it_their_aliases_and_bytes_and_leaves_an_audit_record_of_ids()
    {
        var dataset = await _host.UploadAsync(Upload("jane-doe-records.csv", Penguins()));
        var other = await _host.UploadAsync(Upload("other.csv", "a,b\n1,2\n"));
        var p1 = await RegisterAsync("penguins", "job-1", dataset.Id);
        var kept = await RegisterAsync("penguins", "job-2", other.Id);
        var s1 = await RegisterAsync("species", "job-3", dataset.Id);
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "species", Alias = "production", Version = 1, Actor = "ci" }, Acme);

        var record = await EraseAsync(dataset.Id, cascade: true);
        var audit = await _host.Models.ListErasureRecordsAsync(new ListErasureRecordsRequest(), Acme);
        var datasetGone = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Datasets.GetDatasetAsync(new Platform.Datasets.V1.GetDatasetRequest { DatasetId = dataset.Id }, Acme).ResponseAsync);
        var aliasGone = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "species@production" }, Acme).ResponseAsync);
        var lateRegistration = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("penguins", "job-4", dataset.Id));

        Assert.Equal((dataset.Id, "dpo@acme", "GDPR-2025-0042", "acme"), (record.DatasetId, record.Actor, record.RequestReference, record.TenantId));
        Assert.Equal([("penguins", 1, p1.Id), ("species", 1, s1.Id)], record.Versions.Select(v => (v.ModelName, v.Version, v.VersionId)));
        // The data set's blob and each erased version's two blobs.
        Assert.Equal(5, record.BlobsDeleted);
        Assert.Equal(record, Assert.Single(audit.Records));
        Assert.Equal(StatusCode.NotFound, datasetGone.StatusCode);
        Assert.Equal(StatusCode.NotFound, aliasGone.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, lateRegistration.StatusCode);
        Assert.False(File.Exists(_host.Blobs.PathOf(dataset.Sha256)));
        Assert.All(p1.Artifacts.Concat(s1.Artifacts), a => Assert.False(File.Exists(_host.Blobs.PathOf(a.Sha256))));
        Assert.All(kept.Artifacts, a => Assert.True(File.Exists(_host.Blobs.PathOf(a.Sha256))));
        Assert.Equal(kept, await _host.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "penguins" }, Acme));
        // The audit row holds ids only: not the data set's name, not its contents.
        var stored = await _host.QueryAsync(db => db.DatasetErasures.AsNoTracking().SingleAsync());
        var json = JsonSerializer.Serialize(stored);
        Assert.DoesNotContain("jane-doe", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Adelie", json, StringComparison.Ordinal);
        // Left: the other data set and the kept version. The species model keeps its row (numbers are never reused).
        Assert.Equal((1, 2, 1, 2), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Erasure_of_a_data_set_nobody_trained_on_needs_no_cascade()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));

        var record = await EraseAsync(dataset.Id, cascade: false);

        Assert.Empty(record.Versions);
        Assert.Equal(1, record.BlobsDeleted);
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Invalid_or_unknown_erasures_are_named()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var globex = await _host.UploadAsync(Upload("g.csv", "a\n1\n"), tenant: "globex");

        var noActor = await Assert.ThrowsAsync<RpcException>(() => EraseAsync(dataset.Id, cascade: true, actor: " "));
        var badId = await Assert.ThrowsAsync<RpcException>(() => EraseAsync("penguins.csv", cascade: true));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => EraseAsync(Guid.NewGuid().ToString(), cascade: true));
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() => EraseAsync(globex.Id, cascade: true));

        Assert.StartsWith("actor: ", noActor.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("dataset_id: ", badId.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.NotFound, otherTenant.StatusCode);
        Assert.Equal((2, 0, 0, 0), await _host.CountRowsAsync());
    }
}
