using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Grpc.Core;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using Platform.Transfers;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// The byte stream (plain HTTP/1.1 on the transfers port) against a real store on PostgreSQL: downloads equal the gRPC
/// downloads, uploads staged over HTTP register through gRPC once, and every bad input stores nothing.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class ByteStreamApiTests(PlatformServers servers) : IAsyncLifetime
{
    private const long Limit = 10_000_000;
    private readonly byte[] _model = RandomBytes(2_500_000, seed: 1);
    private readonly byte[] _predictions = RandomBytes(1_000, seed: 2);
    private ModelStoreHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await ModelStoreHost.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["ModelStore:MaxArtifactBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _http = _host.NewTransfersClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private async Task<HttpResponseMessage> GetAsync(string path, string tenant = "acme")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(ByteStream.TenantHeader, tenant);
        return await _http.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostAsync(HttpContent content, string? digest, string tenant = "acme", bool chunked = false) =>
        ByteStreamRequests.PostAsync(_http, content, digest, tenant, chunked);

    private Task<StagedUpload> StageAsync(byte[] bytes, string tenant = "acme") => ByteStreamRequests.StageAsync(_http, bytes, tenant);

    private static Task<(HttpStatusCode Status, string Title, string Detail, string? Field)> ProblemAsync(HttpResponseMessage response) =>
        ByteStreamRequests.ProblemAsync(response);

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }

    private static UploadModelVersionRequest StagedArtifact(string kind, StagedUpload staged, string? declaredSha256 = null) => new()
    {
        Artifact = new Artifact
        {
            Kind = kind, Sha256 = declaredSha256 ?? staged.Sha256, SizeBytes = staged.SizeBytes,
            FileName = kind == "model" ? "model.zip" : $"{kind}.bin", UploadId = staged.UploadId,
        },
    };

    [Fact]
    public async Task An_artifact_downloads_with_the_same_bytes_and_digest_as_the_grpc_download()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "test" }, Acme);
        var (grpcArtifact, grpcBytes) = await _host.DownloadModelAsync(new DownloadModelVersionRequest { ModelName = "penguins", Artifact = "model" });

        foreach (var reference in new[] { "penguins", "penguins:1", "penguins@production", "penguins@latest" })
        {
            using var response = await GetAsync(ByteStream.ArtifactPath(reference, "model"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(grpcBytes, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(ByteStream.FormatDigest(grpcArtifact.Sha256), Assert.Single(response.Headers.GetValues(ByteStream.DigestHeader)));
            Assert.Equal(grpcArtifact.SizeBytes, response.Content.Headers.ContentLength);
            Assert.Equal("penguins:1", Assert.Single(response.Headers.GetValues(ByteStream.ModelVersionHeader)));
            Assert.Equal("model.zip", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        }

        // The shared client checks the digest while it writes and reports what it saved: one piece, and several with a tail.
        foreach (var (kind, bytes) in new[] { ("predictions", _predictions), ("model", _model) })
        {
            var file = Path.Combine(_host.Blobs.Root, "..", $"download-{Guid.NewGuid():N}.zip");
            try
            {
                var saved = await new ByteStreamClient(_http, "acme").DownloadAsync(ByteStream.ArtifactPath("penguins@production", kind), file, CancellationToken.None);
                Assert.Equal((Sha256(bytes), (long)bytes.Length, "penguins:1"), (saved.Sha256, saved.SizeBytes, saved.ModelVersion));
                Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// Bytes of every awkward length around a 4 KiB block and the 4 MiB piece, uploaded and downloaded over the byte
    /// stream, where the store writes and reads whole blocks with direct I/O and a short last piece through the page
    /// cache, and the client saves the same way: every byte comes back in place.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(AlignedBuffer.Bytes - 1)]
    [InlineData(AlignedBuffer.Bytes)]
    [InlineData(AlignedBuffer.Bytes + 1)]
    [InlineData(2 * AlignedBuffer.Bytes + 12_345)]
    public async Task Bytes_of_any_length_upload_and_download_byte_for_byte(int length)
    {
        var bytes = RandomBytes(length, seed: length);
        var version = await _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", await StageAsync(bytes))]);
        Assert.Equal(Sha256(bytes), version.Artifacts.Single().Sha256);

        using (var response = await GetAsync(ByteStream.ArtifactPath("churn:1", "model")))
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        var file = Path.Combine(_host.Blobs.Root, "..", $"download-{Guid.NewGuid():N}.zip");
        try
        {
            var saved = await new ByteStreamClient(_http, "acme").DownloadAsync(ByteStream.ArtifactPath("churn:1", "model"), file, CancellationToken.None);
            Assert.Equal((Sha256(bytes), (long)length), (saved.Sha256, saved.SizeBytes));
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_data_set_downloads_with_the_same_bytes_and_digest_as_the_grpc_download()
    {
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var grpcBytes = await _host.DownloadAsync(dataset.Id);

        using var response = await GetAsync(ByteStream.DatasetPath(dataset.Id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(grpcBytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ByteStream.FormatDigest(dataset.Sha256), Assert.Single(response.Headers.GetValues(ByteStream.DigestHeader)));
    }

    [Fact]
    public async Task Bytes_staged_over_http_become_an_uploaded_version_once_and_the_same_bytes_again_return_it()
    {
        var staged = await StageAsync(_model);
        Assert.Equal((Sha256(_model), (long)_model.Length), (staged.Sha256, staged.SizeBytes));
        Assert.Equal(1, _host.TempFileCount); // staged, not yet a blob
        Assert.Equal(0, _host.BlobFileCount);

        var first = await _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged)]);
        Assert.Equal((1, Sha256(_model)), (first.Version, first.Artifacts.Single().Sha256));
        Assert.Equal(0, _host.TempFileCount);
        Assert.Equal(1, _host.BlobFileCount);

        // A staged upload is used once.
        var reused = await Assert.ThrowsAsync<RpcException>(() =>
            _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged)]));
        Assert.Equal((StatusCode.NotFound, $"upload '{staged.UploadId}' was not found"), (reused.StatusCode, reused.Status.Detail));

        // The same bytes staged again: the existing version comes back, and no second blob is kept.
        var again = await _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", await StageAsync(_model))]);
        Assert.Equal(first, again);
        Assert.Equal((0, 1, 1, 1), await _host.CountRowsAsync());
        Assert.Equal(1, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);

        using var download = await GetAsync(ByteStream.ArtifactPath("churn:1", "model"));
        Assert.Equal(_model, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_worker_registration_can_take_staged_bytes_and_mix_them_with_streamed_ones()
    {
        var staged = await StageAsync(_model);
        var messages = Registration(Version("penguins", "job-7"), new ArtifactUpload("predictions", _predictions));
        messages.Insert(1, new RegisterModelVersionRequest { Artifact = StagedArtifact("model", staged).Artifact });

        var version = await _host.RegisterAsync(messages);

        Assert.Equal(["model", "predictions"], version.Artifacts.Select(a => a.Kind));
        var (_, bytes) = await _host.DownloadModelAsync(new DownloadModelVersionRequest { ModelName = "penguins", Artifact = "model" });
        Assert.Equal(_model, bytes);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task The_client_uploads_a_file_that_registers()
    {
        var file = Path.Combine(_host.Blobs.Root, "..", $"upload-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(file, _model);
        try
        {
            var staged = await new ByteStreamClient(_http, "acme").UploadAsync(file, Sha256(_model), CancellationToken.None);
            var version = await _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged)]);
            Assert.Equal(Sha256(_model), version.Artifacts.Single().Sha256);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_digest_that_does_not_match_the_bytes_is_refused_naming_it_and_stores_nothing()
    {
        using var wrong = await PostAsync(new ByteArrayContent(_model), ByteStream.FormatDigest(Sha256([1, 2, 3])));
        var problem = await ProblemAsync(wrong);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "DataLoss"), (problem.Status, problem.Title));
        Assert.Equal($"Repr-Digest: the bytes hash to sha256 {Sha256(_model)}, the header says {Sha256([1, 2, 3])}; nothing was stored", problem.Detail);

        using var missing = await PostAsync(new ByteArrayContent(_model), null);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument", "Repr-Digest"), ((await ProblemAsync(missing)).Status, (await ProblemAsync(missing)).Title, (await ProblemAsync(missing)).Field));

        using var malformed = await PostAsync(new ByteArrayContent(_model), $"sha-256={Sha256(_model)}");
        Assert.Equal((HttpStatusCode.BadRequest, "Repr-Digest"), ((await ProblemAsync(malformed)).Status, (await ProblemAsync(malformed)).Field));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Staged_bytes_whose_declaration_disagrees_are_data_loss_and_stores_nothing()
    {
        var staged = await StageAsync(_model);

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(
            [new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged, declaredSha256: Sha256([9]))]));

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Equal($"artifact 'model': the bytes hash to {staged.Sha256}, sha256 says {Sha256([9])}; nothing was registered", error.Status.Detail);
        await AssertNothingStoredAsync(); // the staged bytes were used (and discarded) by the failed upload
    }

    [Fact]
    public async Task Bytes_after_a_staged_artifact_are_refused()
    {
        var staged = await StageAsync(_model);

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(
        [
            new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged),
            new UploadModelVersionRequest { Chunk = Google.Protobuf.ByteString.CopyFrom([1, 2, 3]) },
        ]));

        Assert.Equal((StatusCode.InvalidArgument, "chunk: artifact 'model' names an upload_id, so no bytes may follow it"), (error.StatusCode, error.Status.Detail));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_upload_cut_off_midway_stores_nothing()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _host.TransfersAddress.Port);
        var stream = client.GetStream();
        var head = $"POST {ByteStream.UploadsPath} HTTP/1.1\r\nHost: localhost\r\nx-tenant-id: acme\r\nx-platform-service-token: {InternalCaller.Token}\r\n"
                   + $"{ByteStream.DigestHeader}: {ByteStream.FormatDigest(Sha256(_model))}\r\nContent-Length: {_model.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(_model.AsMemory(0, 1_500_000));
        await stream.FlushAsync();
        for (var i = 0; i < 200 && _host.TempFileCount == 0; i++) await Task.Delay(50);
        Assert.Equal(1, _host.TempFileCount);

        client.Client.Shutdown(SocketShutdown.Both);
        client.Close();

        for (var i = 0; i < 200 && _host.TempFileCount > 0; i++) await Task.Delay(50);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_naming_the_limit_and_stores_nothing()
    {
        var large = RandomBytes((int)Limit + 1, seed: 3);

        using var declared = await PostAsync(new ByteArrayContent(large), ByteStream.FormatDigest(Sha256(large)));
        var byLength = await ProblemAsync(declared);
        // Without Content-Length (chunked), the store stops at the first byte past the limit.
        using var streamed = await PostAsync(new StreamContent(new MemoryStream(large)), ByteStream.FormatDigest(Sha256(large)), chunked: true);
        var byCount = await ProblemAsync(streamed);

        foreach (var problem in new[] { byLength, byCount })
        {
            Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "ModelStore:MaxArtifactBytes"), (problem.Status, problem.Field));
            Assert.Contains($"more than this store accepts per artifact ({Limit} bytes)", problem.Detail, StringComparison.Ordinal);
        }
        for (var i = 0; i < 200 && _host.TempFileCount > 0; i++) await Task.Delay(50);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Unknown_models_versions_aliases_artifacts_and_data_sets_are_404_naming_them()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var cases = new Dictionary<string, string>
        {
            [ByteStream.ArtifactPath("iris", "model")] = "model 'iris' was not found",
            [ByteStream.ArtifactPath("penguins:9", "model")] = "model version 'penguins:9' was not found",
            [ByteStream.ArtifactPath("penguins@staging", "model")] = "alias 'penguins@staging' was not found",
            [ByteStream.ArtifactPath("penguins:1", "onnx")] = "artifact 'penguins:1/onnx' was not found",
            [ByteStream.DatasetPath("0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11")] = "dataset '0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11' was not found",
        };
        foreach (var (path, detail) in cases)
        {
            using var response = await GetAsync(path);
            Assert.Equal((HttpStatusCode.NotFound, "NotFound", detail), ((await ProblemAsync(response)).Status, (await ProblemAsync(response)).Title, (await ProblemAsync(response)).Detail));
        }
    }

    [Theory]
    [InlineData("pen..guins", "model", "reference")]
    [InlineData("pen\\guins", "model", "reference")]
    [InlineData("pen/guins", "model", "reference")]
    [InlineData("penguins:1", "a..b", "kind")]
    [InlineData("penguins:1", "a/b", "kind")]
    public async Task Names_with_path_separators_or_dot_dot_are_400_naming_the_field(string reference, string kind, string field)
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));

        using var response = await GetAsync(ByteStream.ArtifactPath(reference, kind));

        var problem = await ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument", field), (problem.Status, problem.Title, problem.Field));
    }

    [Fact]
    public async Task Another_tenants_artifacts_data_sets_and_staged_bytes_are_not_visible()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        var dataset = await _host.UploadAsync(Upload("penguins.csv", Penguins()));
        var staged = await StageAsync(_model);

        using var artifact = await GetAsync(ByteStream.ArtifactPath("penguins", "model"), tenant: "globex");
        using var data = await GetAsync(ByteStream.DatasetPath(dataset.Id), tenant: "globex");
        var upload = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(
            [new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged)], tenant: "globex"));

        Assert.Equal((HttpStatusCode.NotFound, "model 'penguins' was not found"), ((await ProblemAsync(artifact)).Status, (await ProblemAsync(artifact)).Detail));
        Assert.Equal(HttpStatusCode.NotFound, data.StatusCode);
        Assert.Equal((StatusCode.NotFound, $"upload '{staged.UploadId}' was not found"), (upload.StatusCode, upload.Status.Detail));
        // Still there for its own tenant.
        var version = await _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact("model", staged)]);
        Assert.Equal(1, version.Version);
    }

    [Fact]
    public async Task The_routes_answer_only_on_the_transfers_port()
    {
        await _host.RegisterAsync(Registration("penguins", "job-1", _model, _predictions));
        // Even for an internal caller (with the service credential), the gRPC port has no byte-stream routes.
        using var h2c = InternalCaller.HttpClient(_host.GrpcAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, ByteStream.ArtifactPath("penguins", "model"))
        {
            Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add(ByteStream.TenantHeader, "acme");

        using var response = await h2c.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()} {string.Join(",", response.Headers)}");
        Assert.NotEqual(_model, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public void The_digest_header_round_trips_and_rejects_malformed_values()
    {
        var sha256 = Sha256(_model);
        Assert.Equal(sha256, ByteStream.ParseDigest(ByteStream.FormatDigest(sha256)));
        Assert.Equal(sha256, ByteStream.ParseDigest($"sha-512=:AAAA:, {ByteStream.FormatDigest(sha256)}"));
        Assert.Null(ByteStream.ParseDigest("sha-256=:AAAA:"));
        Assert.Null(ByteStream.ParseDigest($"sha-256={sha256}"));
        Assert.Null(ByteStream.ParseDigest(null));
    }
}
