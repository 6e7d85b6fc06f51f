using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Uploading models trained elsewhere (ModelService.UploadModelVersion) over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class UploadApiTests(PlatformServers servers) : IAsyncLifetime
{
    private readonly byte[] _model = RandomBytes(200_000, seed: 1);
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task An_uploaded_model_becomes_a_version_that_downloads_intact()
    {
        var header = UploadHeader("churn");
        header.Tags["origin"] = "notebook";
        var readme = Encoding.UTF8.GetBytes("# Churn model\n");

        var uploaded = await _host.UploadModelAsync(ModelUpload(header, new ArtifactUpload("model", _model), new ArtifactUpload("readme", readme)));
        var (artifact, bytes) = await _host.DownloadModelAsync(new DownloadModelVersionRequest { ModelName = "churn" });
        var resolved = await _host.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "churn:1" }, Acme);

        Assert.Equal((1, ModelVersionSource.Upload, ""), (uploaded.Version, uploaded.Source, uploaded.JobId));
        Assert.Equal(("binary_classification", "fast_tree", "Trained in a notebook."), (uploaded.Task, uploaded.Trainer, uploaded.Description));
        Assert.Equal(0.91, uploaded.Metrics["auc"]);
        Assert.Equal("notebook", uploaded.Tags["origin"]);
        Assert.Equal(["model", "readme"], uploaded.Artifacts.Select(a => a.Kind));
        Assert.Equal(Sha256(_model), artifact.Sha256);
        Assert.Equal(_model, bytes);
        Assert.Equal(uploaded, resolved);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task An_upload_can_name_the_data_set_it_was_trained_on()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var header = UploadHeader("penguins");
        header.DatasetId = dataset.Id;

        var uploaded = await _host.UploadModelAsync(ModelUpload(header, new ArtifactUpload("model", _model)));
        var trainedOn = await _host.Models.ListVersionsTrainedOnAsync(new ListVersionsTrainedOnRequest { DatasetId = dataset.Id }, Acme);

        Assert.Equal((dataset.Id, dataset.Sha256), (uploaded.DatasetId, uploaded.DatasetSha256));
        Assert.Equal(uploaded, Assert.Single(trainedOn.Versions));
    }

    [Fact]
    public async Task Uploading_the_same_bytes_again_returns_the_existing_version_and_stores_no_second_blob()
    {
        var first = await _host.UploadModelAsync(ModelUpload("churn", _model));
        var again = await _host.UploadModelAsync(ModelUpload("churn", _model));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => _host.UploadModelAsync(ModelUpload("churn", _model)))));
        var otherModel = await _host.UploadModelAsync(ModelUpload("churn-eu", _model));

        Assert.Equal(first, again);
        Assert.All(concurrent, v => Assert.Equal(first, v));
        // Another model with the same bytes is a version of its own, sharing the stored bytes.
        Assert.Equal(("churn-eu", 1), (otherModel.ModelName, otherModel.Version));
        Assert.Equal((0, 2, 2, 2), await _host.CountRowsAsync());
        Assert.Equal(1, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
        var next = await _host.UploadModelAsync(ModelUpload("churn", RandomBytes(10, seed: 2)));
        Assert.Equal(2, next.Version);
    }

    [Fact]
    public async Task A_checksum_that_does_not_match_the_bytes_is_data_loss_and_stores_nothing()
    {
        var messages = ModelUpload(UploadHeader("churn"), new ArtifactUpload("model", _model, DeclaredSha256: Sha256([1, 2, 3])));

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(messages));

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.StartsWith("artifact 'model': the bytes hash to ", error.Status.Detail, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_upload_cut_off_midway_stores_nothing()
    {
        var messages = ModelUpload("churn", _model);
        using var cancellation = new CancellationTokenSource();
        using var call = _host.Models.UploadModelVersion(Acme, cancellationToken: cancellation.Token);

        // The version, the artifact header and the first chunk; the client goes away while the store writes the temp file.
        foreach (var message in messages.Take(3)) await call.RequestStream.WriteAsync(message);
        for (var i = 0; i < 200 && _host.TempFileCount == 0; i++) await Task.Delay(50);
        Assert.Equal(1, _host.TempFileCount);
        await cancellation.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        for (var i = 0; i < 200 && _host.TempFileCount > 0; i++) await Task.Delay(50);
        await AssertNothingStoredAsync();
    }

    public static TheoryData<string, Func<List<UploadModelVersionRequest>>> BadUploads => new()
    {
        { "version.model_name", () => ModelUpload("../churn", [1]) },
        { "version.model_name", () => ModelUpload("models/churn", [1]) },
        { "version.model_name", () => ModelUpload("churn\\eu", [1]) },
        { "version.model_name", () => ModelUpload("..", [1]) },
        { "version.model_name", () => ModelUpload("churn..eu", [1]) },
        { "artifact.file_name", () => WithFileName("../../etc/cron.d/model.zip") },
        { "artifact.file_name", () => WithFileName("C:\\model.zip") },
        { "artifact.kind", () => ModelUpload(UploadHeader("churn"), new ArtifactUpload("../model", [1])) },
        { "version.job_id", () => ModelUpload(WithJob(), new ArtifactUpload("model", [1])) },
        { "version.task", () => ModelUpload(new ModelVersion { ModelName = "churn" }, new ArtifactUpload("model", [1])) },
        { "artifact", () => ModelUpload(UploadHeader("churn"), new ArtifactUpload("readme", [1])) },
        { "version", () => ModelUpload("churn", [1]).Skip(1).ToList() },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task Invalid_uploads_are_named_and_store_nothing(string field, Func<List<UploadModelVersionRequest>> messages)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(messages()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_upload_naming_an_unknown_data_set_or_the_wrong_checksum_for_it_stores_nothing()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var unknown = UploadHeader("churn");
        unknown.DatasetId = Guid.NewGuid().ToString();
        var wrongSha = UploadHeader("churn");
        wrongSha.DatasetId = dataset.Id;
        wrongSha.DatasetSha256 = new string('0', 64);

        var notFound = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(ModelUpload(unknown, new ArtifactUpload("model", _model))));
        var invalid = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(ModelUpload(wrongSha, new ArtifactUpload("model", _model))));

        Assert.Equal((StatusCode.NotFound, $"dataset '{unknown.DatasetId}' was not found"), (notFound.StatusCode, notFound.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.StartsWith("version.dataset_sha256: ", invalid.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((1, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(1, _host.BlobFileCount); // the data set's
        Assert.Equal(0, _host.TempFileCount);
    }

    private static List<UploadModelVersionRequest> WithFileName(string fileName)
    {
        var messages = ModelUpload("churn", [1, 2, 3]);
        messages[1].Artifact.FileName = fileName;
        return messages;
    }

    private static ModelVersion WithJob()
    {
        var header = UploadHeader("churn");
        header.JobId = "job-1";
        return header;
    }
}

/// <summary>The configurable artifact size limit, on a store that accepts 64 KiB per artifact.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class ArtifactSizeLimitTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await ModelStoreHost.StartAsync(servers, settings: new Dictionary<string, string?> { ["ModelStore:MaxArtifactBytes"] = "65536" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_artifact_over_the_limit_is_refused_before_any_byte_is_stored_by_upload_and_registration()
    {
        var tooBig = RandomBytes(65_537, seed: 1);

        var upload = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(ModelUpload("churn", tooBig)));
        var registration = await Assert.ThrowsAsync<RpcException>(() =>
            _host.RegisterAsync(Registration(Version("penguins", "job-1"), new ArtifactUpload("model", tooBig))));
        var atLimit = await _host.UploadModelAsync(ModelUpload("churn", RandomBytes(65_536, seed: 2)));

        foreach (var error in new[] { upload, registration })
        {
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith("artifact.size_bytes: 65537 bytes is more than this store accepts per artifact (65536 bytes", error.Status.Detail, StringComparison.Ordinal);
        }
        Assert.Equal(1, atLimit.Version);
        Assert.Equal(1, await _host.QueryAsync(db => db.ModelVersions.CountAsync()));
        Assert.Equal(1, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }
}
