using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>ModelRegistry (as workers call it) and ModelService (as users do) over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class ModelRegistryApiTests(PlatformServers servers) : IAsyncLifetime
{
    private readonly byte[] _model = RandomBytes(300_000, seed: 1);
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\nGentoo,Gentoo\n");
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(Artifact Artifact, byte[] Bytes)> DownloadAsync(DownloadModelVersionRequest request, string tenant = "acme")
    {
        using var call = _host.Models.DownloadModelVersion(request, ModelStoreHost.Tenant(tenant));
        Artifact? artifact = null;
        using var bytes = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            artifact ??= chunk.Artifact;
            chunk.Data.WriteTo(bytes);
        }
        return (artifact!, bytes.ToArray());
    }

    [Fact]
    public async Task A_registered_model_downloads_with_the_sha256_the_store_reported()
    {
        var registered = await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        var (artifact, bytes) = await DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins" });
        var listed = await _host.Models.ListModelsAsync(new ListModelsRequest(), ModelStoreHost.Tenant("acme"));
        var versions = await _host.Models.ListModelVersionsAsync(new ListModelVersionsRequest { ModelName = "penguins" }, ModelStoreHost.Tenant("acme"));

        Assert.Equal(1, registered.Version);
        Assert.Equal(registered.Artifacts.Single(a => a.Kind == "model"), artifact);
        Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(_model, bytes);
        Assert.Equal(0.97, registered.Metrics["accuracy"]);
        Assert.True(double.IsNaN(registered.Metrics["log_loss"]));
        Assert.Equal(("penguins", 1), (listed.Models.Single().Name, listed.Models.Single().LatestVersion));
        Assert.Equal(registered, versions.Versions.Single());
    }

    [Fact]
    public async Task Registering_the_same_job_again_returns_the_first_version()
    {
        var first = await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var again = await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        Assert.Equal(first, again);
        Assert.Equal((0, 1, 1, 2), await _host.CountRowsAsync());
    }

    /// <summary>
    /// Issue 15, defect 9: a second registration under a job's id with other model bytes was kept as the job's version
    /// (or, when the worker registered second, the worker was handed a version holding someone else's bytes).
    /// </summary>
    [Fact]
    public async Task A_registration_for_a_job_whose_version_holds_other_model_bytes_is_refused_naming_both_digests()
    {
        var other = RandomBytes(4_000, seed: 7);
        var first = await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        var refused = await Assert.ThrowsAsync<RpcException>(() => _host.RegisterAsync(Registration("penguins", "job-1", other, _predictions)));
        // Several at once, each with other bytes: every one refused.
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
            await Assert.ThrowsAsync<RpcException>(() => _host.RegisterAsync(Registration("penguins", "job-1", RandomBytes(100, seed: 20 + i), _predictions))))));

        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Contains($"model sha256 {Sha256(_model)}", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"this registration's model has sha256 {Sha256(other)}", refused.Status.Detail, StringComparison.Ordinal);
        Assert.All(concurrent, e => Assert.Equal(StatusCode.AlreadyExists, e.StatusCode));
        var (artifact, bytes) = await DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins" });
        Assert.Equal(first.Artifacts.Single(a => a.Kind == "model"), artifact);
        Assert.Equal(_model, bytes);
        Assert.Equal((0, 1, 1, 2), await _host.CountRowsAsync());
        Assert.Equal(2, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_model_get_distinct_consecutive_versions()
    {
        const int jobs = 12;

        var versions = await Task.WhenAll(Enumerable.Range(1, jobs).Select(i =>
            Task.Run(() => _host.RegisterAsync(Registration("penguins", $"job-{i}", RandomBytes(1000, seed: i), _predictions)))));

        Assert.Equal(Enumerable.Range(1, jobs), versions.Select(v => v.Version).Order());
        var latest = await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins" }, ModelStoreHost.Tenant("acme"));
        Assert.Equal(jobs, latest.Version);
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_job_register_one_version()
    {
        var versions = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions)))));

        Assert.Single(versions.Distinct());
        Assert.Equal((0, 1, 1, 2), await _host.CountRowsAsync());
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task A_checksum_mismatch_is_data_loss_and_registers_nothing()
    {
        var messages = Registration(Version("penguins", "job-1"),
            new ArtifactUpload("model", _model, DeclaredSha256: Sha256(_predictions)),
            new ArtifactUpload("predictions", _predictions));

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.RegisterAsync(messages));

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.StartsWith("artifact 'model': the bytes hash to ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task A_stream_cut_short_registers_nothing_and_leaves_no_temp_file()
    {
        var messages = Registration("penguins", "job-1", _model, _predictions);
        using var cancellation = new CancellationTokenSource();
        using var call = _host.Registry.RegisterModelVersion(ModelStoreHost.Tenant("acme"), cancellationToken: cancellation.Token);

        // The version, the model's header and its first chunk; then wait until the store is writing the temp file.
        foreach (var message in messages.Take(3)) await call.RequestStream.WriteAsync(message);
        await WaitUntilAsync(() => _host.TempFileCount == 1);
        await cancellation.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await WaitUntilAsync(() => _host.TempFileCount == 0);
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
    }

    [Fact]
    public async Task Invalid_registrations_are_named_and_register_nothing()
    {
        var badName = await Assert.ThrowsAsync<RpcException>(() =>
            _host.RegisterAsync(Registration("../penguins", "job-1", _model, _predictions)));
        var noVersion = await Assert.ThrowsAsync<RpcException>(() =>
            _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions).Skip(1)));

        Assert.Equal(StatusCode.InvalidArgument, badName.StatusCode);
        Assert.StartsWith("version.model_name: ", badName.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, noVersion.StatusCode);
        Assert.StartsWith("version: ", noVersion.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
    }

    [Fact]
    public async Task Tenants_see_only_their_own_models()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions), tenant: "acme");
        // The same job id and model name in another tenant are unrelated.
        var globex = await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions), tenant: "globex");
        await _host.RegisterAsync(Registration("penguins", "job-2", _model, _predictions), tenant: "globex");

        var asOther = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 2 }, ModelStoreHost.Tenant("acme")).ResponseAsync);
        var listed = await _host.Models.ListModelsAsync(new ListModelsRequest(), ModelStoreHost.Tenant("initech"));

        Assert.Equal(1, globex.Version);
        Assert.Equal((StatusCode.NotFound, "model version 'penguins:2' was not found"), (asOther.StatusCode, asOther.Status.Detail));
        Assert.Empty(listed.Models);
    }

    [Fact]
    public async Task Not_found_names_the_model_version_or_artifact()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        var model = await Assert.ThrowsAsync<RpcException>(() => DownloadAsync(new DownloadModelVersionRequest { ModelName = "iris" }));
        var version = await Assert.ThrowsAsync<RpcException>(() => DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins", Version = 9 }));
        var artifact = await Assert.ThrowsAsync<RpcException>(() => DownloadAsync(new DownloadModelVersionRequest { ModelName = "penguins", Artifact = "onnx" }));

        Assert.All(new[] { model, version, artifact }, e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
        Assert.Equal("model 'iris' was not found", model.Status.Detail);
        Assert.Equal("model version 'penguins:9' was not found", version.Status.Detail);
        Assert.Equal("artifact 'penguins:1/onnx' was not found", artifact.Status.Detail);
    }

    [Fact]
    public async Task The_database_schema_comes_from_the_migrations()
    {
        var applied = await _host.QueryAsync(db => db.Database.GetAppliedMigrationsAsync());
        var pending = await _host.QueryAsync(db => db.Database.GetPendingMigrationsAsync());

        Assert.Contains(applied, m => m.EndsWith("_Initial", StringComparison.Ordinal));
        Assert.Empty(pending);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // The server reacts to the client asynchronously; poll for the state, give up after a generous while.
        for (var i = 0; i < 200 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition());
    }
}
