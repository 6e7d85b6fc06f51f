using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Blobs;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Testing.Grpc;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Grpc;

/// <summary>ModelRegistry (what workers call) and ModelService (what users call) together, on SQLite.</summary>
public sealed class ModelGrpcServiceTests : IDisposable
{
    private readonly SqliteModelStore _store = new();
    private readonly byte[] _model = RandomBytes(150_000, seed: 1);
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");

    public void Dispose() => _store.Dispose();

    private Task<ModelVersion> RegisterAsync(IEnumerable<RegisterModelVersionRequest> messages, string tenant = "acme") =>
        _store.Registry().RegisterModelVersion(new TestAsyncStreamReader<RegisterModelVersionRequest>(messages), TestServerCallContext.ForTenant(tenant));

    private async Task<List<ArtifactChunk>> DownloadAsync(DownloadModelVersionRequest request, string tenant = "acme")
    {
        var context = TestServerCallContext.ForTenant(tenant);
        var writer = new TestServerStreamWriter<ArtifactChunk>(context);
        await _store.Models().DownloadModelVersion(request, writer, context);
        return [.. writer.Messages];
    }

    private async Task AssertNothingRegisteredAsync()
    {
        await using var db = _store.NewDbContext();
        Assert.Equal(0, await db.ModelVersions.CountAsync());
        Assert.Equal(0, await db.Artifacts.CountAsync());
        Assert.Equal(0, _store.BlobFileCount);
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task A_registered_version_carries_everything_the_worker_sent()
    {
        var version = await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        var expected = Version("penguins", "job-1");
        expected.Version = 1;
        expected.TenantId = "acme";
        expected.CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_store.Time.GetUtcNow());
        expected.Id = version.Id;
        expected.Source = ModelVersionSource.TrainingJob;
        expected.Approval = new ModelVersionApproval { Status = ApprovalStatus.Pending };
        expected.Artifacts.Add(new Artifact { Kind = "model", Sha256 = Sha256(_model), SizeBytes = _model.Length, FileName = "model.zip" });
        expected.Artifacts.Add(new Artifact { Kind = "predictions", Sha256 = Sha256(_predictions), SizeBytes = _predictions.Length, FileName = "predictions.csv" });
        Assert.Equal(expected, version);
        Assert.Equal(version, await _store.Models().GetModelVersion(
            new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, TestServerCallContext.ForTenant("acme")));
        Assert.Equal(2, _store.BlobFileCount);
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task Versions_number_from_one_per_model()
    {
        var p1 = await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var i1 = await RegisterAsync(Registration("iris", "job-2", _model, _predictions));
        var p2 = await RegisterAsync(Registration("penguins", "job-3", RandomBytes(10, seed: 2), _predictions));
        var other = await RegisterAsync(Registration("penguins", "job-1", _model, _predictions), tenant: "globex");

        Assert.Equal((1, 1, 2, 1), (p1.Version, i1.Version, p2.Version, other.Version));
    }

    [Fact]
    public async Task Registering_a_job_again_returns_the_first_version_unchanged()
    {
        var first = await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        _store.Time.Advance(TimeSpan.FromMinutes(5));

        // A retry sends the same model; its other artifacts (the card names the attempt) may differ and are not kept.
        var again = await RegisterAsync(Registration("penguins", "job-1", _model, RandomBytes(99, seed: 3)));

        Assert.Equal(first, again);
        await using var db = _store.NewDbContext();
        Assert.Equal(1, await db.ModelVersions.CountAsync());
        Assert.Equal(2, _store.BlobFileCount);
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task Concurrent_registrations_on_sqlite_get_distinct_versions_and_one_per_job()
    {
        // The standalone host runs several workers against one SQLite file.
        var registrations = Enumerable.Range(1, 8)
            .Select(i => Task.Run(() => RegisterAsync(Registration("penguins", $"job-{i}", RandomBytes(100, seed: i), _predictions))))
            .Concat(Enumerable.Range(0, 4).Select(_ => Task.Run(() => RegisterAsync(Registration("penguins", "job-1", RandomBytes(100, seed: 1), _predictions)))));

        var versions = await Task.WhenAll(registrations);

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Version).Distinct().Order());
        Assert.Single(versions.Where(v => v.JobId == "job-1").Distinct());
        await using var db = _store.NewDbContext();
        Assert.Equal(8, await db.ModelVersions.CountAsync());
    }

    [Fact]
    public async Task An_artifact_whose_bytes_do_not_match_its_sha256_is_data_loss_and_nothing_is_registered()
    {
        var messages = Registration(Version("penguins", "job-1"),
            new ArtifactUpload("model", _model),
            new ArtifactUpload("predictions", _predictions, DeclaredSha256: Sha256(_model)));

        var error = await Assert.ThrowsAsync<DataLossException>(() => RegisterAsync(messages));

        Assert.StartsWith("artifact 'predictions': the bytes hash to", error.Message, StringComparison.Ordinal);
        await AssertNothingRegisteredAsync();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(+1)]
    public async Task An_artifact_of_another_size_than_declared_is_data_loss(int difference)
    {
        var messages = Registration(Version("penguins", "job-1"),
            new ArtifactUpload("model", _model, DeclaredSize: _model.Length + difference));

        await Assert.ThrowsAsync<DataLossException>(() => RegisterAsync(messages));

        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task A_registration_cut_short_by_the_client_leaves_nothing()
    {
        var messages = Registration("penguins", "job-1", _model, _predictions);
        var context = TestServerCallContext.ForTenant("acme");

        // Cancelled after the model's first chunk, while its temp file is open.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.Registry().RegisterModelVersion(
            new CancelledMidStreamReader<RegisterModelVersionRequest>(messages, cancelAfter: 3, context), context));

        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task The_version_message_must_come_first()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            RegisterAsync(Registration("penguins", "job-1", _model, _predictions).Skip(1)));

        Assert.Equal("version", error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task Bytes_before_any_artifact_message_are_rejected()
    {
        var messages = Registration("penguins", "job-1", _model, _predictions);
        messages.RemoveAt(1);

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => RegisterAsync(messages));

        Assert.Equal("chunk", error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task A_version_needs_an_artifact()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => RegisterAsync(Registration(Version("penguins", "job-1"))));

        Assert.Equal("artifact", error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task An_artifact_kind_sent_twice_is_rejected()
    {
        var messages = Registration(Version("penguins", "job-1"), new ArtifactUpload("model", _model), new ArtifactUpload("model", _model));

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => RegisterAsync(messages));

        Assert.Equal("artifact.kind", error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("../penguins")]
    [InlineData("pen/guins")]
    [InlineData("pen..guins")]
    [InlineData("penguins model")]
    [InlineData("a-name-that-is-far-too-long-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789")]
    public async Task Invalid_model_names_are_rejected(string name)
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            RegisterAsync(Registration(name, "job-1", _model, _predictions)));

        Assert.Equal("version.model_name", error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Theory]
    [InlineData("penguins.v2")]
    [InlineData("Penguins_2025-11")]
    [InlineData("a")]
    public async Task Letters_digits_dashes_underscores_and_dots_make_a_model_name(string name)
    {
        var version = await RegisterAsync(Registration(name, "job-1", _model, _predictions));

        Assert.Equal(name, version.ModelName);
    }

    public static TheoryData<string, Action<ModelVersion>> InvalidVersionFields => new()
    {
        { "version.job_id", v => v.JobId = "" },
        { "version.dataset_id", v => v.DatasetId = "penguins.csv" },
        { "version.dataset_sha256", v => v.DatasetSha256 = "abc" },
        { "version.task", v => v.Task = "ranking" },
        { "version.trainer", v => v.Trainer = "" },
        { "version.label_column", v => v.LabelColumn = " " },
    };

    [Theory]
    [MemberData(nameof(InvalidVersionFields))]
    public async Task Invalid_version_fields_are_named(string field, Action<ModelVersion> spoil)
    {
        var version = Version("penguins", "job-1");
        spoil(version);

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            RegisterAsync(Registration(version, new ArtifactUpload("model", _model))));

        Assert.Equal(field, error.Field);
        await AssertNothingRegisteredAsync();
    }

    [Fact]
    public async Task List_models_shows_each_with_its_latest_version_by_name()
    {
        await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        _store.Time.Advance(TimeSpan.FromMinutes(1));
        await RegisterAsync(Registration("penguins", "job-2", _model, _predictions));
        await RegisterAsync(Registration("iris", "job-3", _model, _predictions));
        await RegisterAsync(Registration("secret", "job-1", _model, _predictions), tenant: "globex");

        var response = await _store.Models().ListModels(new ListModelsRequest(), TestServerCallContext.ForTenant("acme"));

        Assert.Equal([("iris", 1), ("penguins", 2)], response.Models.Select(m => (m.Name, m.LatestVersion)));
        var penguins = response.Models[1];
        Assert.Equal("acme", penguins.TenantId);
        Assert.True(penguins.UpdatedAt.ToDateTimeOffset() > penguins.CreatedAt.ToDateTimeOffset());
        Assert.Empty(response.NextPageToken);
    }

    [Fact]
    public async Task List_models_pages_by_name()
    {
        foreach (var name in new[] { "c", "a", "e", "b", "d" })
            await RegisterAsync(Registration(name, $"job-{name}", _model, _predictions));

        var names = new List<string>();
        var request = new ListModelsRequest { PageSize = 2 };
        do
        {
            var page = await _store.Models().ListModels(request, TestServerCallContext.ForTenant("acme"));
            names.AddRange(page.Models.Select(m => m.Name));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken != "");

        Assert.Equal(["a", "b", "c", "d", "e"], names);
    }

    [Fact]
    public async Task List_versions_is_newest_first_and_pages()
    {
        for (var i = 1; i <= 5; i++)
            await RegisterAsync(Registration("penguins", $"job-{i}", _model, _predictions));

        var versions = new List<int>();
        var request = new ListModelVersionsRequest { ModelName = "penguins", PageSize = 2 };
        do
        {
            var page = await _store.Models().ListModelVersions(request, TestServerCallContext.ForTenant("acme"));
            Assert.All(page.Versions, v => Assert.Equal(2, v.Artifacts.Count));
            versions.AddRange(page.Versions.Select(v => v.Version));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken != "");

        Assert.Equal([5, 4, 3, 2, 1], versions);
    }

    [Fact]
    public async Task Version_zero_means_the_latest()
    {
        await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var latest = await RegisterAsync(Registration("penguins", "job-2", _model, _predictions));

        var got = await _store.Models().GetModelVersion(new GetModelVersionRequest { ModelName = "penguins" }, TestServerCallContext.ForTenant("acme"));

        Assert.Equal(latest, got);
    }

    [Fact]
    public async Task Download_streams_the_model_by_default_with_its_description_first()
    {
        var model = RandomBytes(2_500_000, seed: 7);
        var version = await RegisterAsync(Registration("penguins", "job-1", model, _predictions));

        var chunks = await DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins" });

        Assert.Equal(version.Artifacts.Single(a => a.Kind == "model"), chunks[0].Artifact);
        Assert.All(chunks.Skip(1), c => Assert.Null(c.Artifact));
        Assert.All(chunks, c => Assert.InRange(c.Data.Length, 1, BlobStore.ChunkSize));
        Assert.Equal(3, chunks.Count); // 2,500,000 bytes in 1 MiB chunks
        Assert.Equal(model, chunks.SelectMany(c => c.Data.ToByteArray()).ToArray());
    }

    [Fact]
    public async Task Download_streams_a_named_artifact_of_a_named_version()
    {
        await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        await RegisterAsync(Registration("penguins", "job-2", _model, Encoding.UTF8.GetBytes("later")));

        var chunks = await DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins", Version = 1, Artifact = "predictions" });

        Assert.Equal("predictions", chunks[0].Artifact.Kind);
        Assert.Equal(_predictions, chunks.SelectMany(c => c.Data.ToByteArray()).ToArray());
    }

    [Fact]
    public async Task An_empty_artifact_downloads_as_one_message_with_its_description()
    {
        await RegisterAsync(Registration(Version("penguins", "job-1"), new ArtifactUpload("model", _model), new ArtifactUpload("notes", [])));

        var chunks = await DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins", Artifact = "notes" });

        var only = Assert.Single(chunks);
        Assert.Equal(0, only.Artifact.SizeBytes);
        Assert.True(only.Data.IsEmpty);
    }

    [Fact]
    public async Task Not_found_names_the_model_the_version_or_the_artifact()
    {
        await RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var context = TestServerCallContext.ForTenant("acme");

        var model = await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Models().GetModelVersion(new GetModelVersionRequest { ModelName = "iris" }, context));
        var version = await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Models().GetModelVersion(new GetModelVersionRequest { ModelName = "penguins", Version = 2 }, context));
        var artifact = await Assert.ThrowsAsync<NotFoundException>(() =>
            DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins", Artifact = "onnx" }));
        var versions = await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Models().ListModelVersions(new ListModelVersionsRequest { ModelName = "iris" }, context));

        Assert.Equal("model 'iris' was not found", model.Message);
        Assert.Equal("model version 'penguins:2' was not found", version.Message);
        Assert.Equal("artifact 'penguins:1/onnx' was not found", artifact.Message);
        Assert.Equal("model 'iris' was not found", versions.Message);
    }

    [Fact]
    public async Task Another_tenants_models_are_not_found()
    {
        await RegisterAsync(Registration("penguins", "job-1", _model, _predictions), tenant: "acme");
        var other = TestServerCallContext.ForTenant("globex");

        Assert.Empty((await _store.Models().ListModels(new ListModelsRequest(), other)).Models);
        await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Models().GetModelVersion(new GetModelVersionRequest { ModelName = "penguins" }, other));
        await Assert.ThrowsAsync<NotFoundException>(() =>
            DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins" }, tenant: "globex"));
    }

    [Fact]
    public async Task A_negative_version_is_invalid()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => _store.Models().GetModelVersion(
            new GetModelVersionRequest { ModelName = "penguins", Version = -1 }, TestServerCallContext.ForTenant("acme")));

        Assert.Equal("version", error.Field);
    }
}
