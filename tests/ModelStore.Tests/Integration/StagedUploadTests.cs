using System.Globalization;
using System.Net;
using Grpc.Core;
using Platform.Models.V1;
using Platform.Testing;
using Platform.Transfers;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// Issue 15, defect 2: bytes staged with <c>POST /v1/uploads</c> are used once whatever the outcome of the registration
/// that names them, a sender can delete its own, and quotas per tenant and in total bound what may wait.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class StagedUploadTests(PlatformServers servers) : IAsyncLifetime
{
    private const long TenantBytes = 3_000_000;
    private const long TotalBytes = 5_000_000;
    private const int TenantCount = 3;
    private readonly byte[] _model = RandomBytes(1_000_000, seed: 1);
    private ModelStoreHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await ModelStoreHost.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["ModelStore:Uploads:MaxStagedBytesPerTenant"] = TenantBytes.ToString(CultureInfo.InvariantCulture),
            ["ModelStore:Uploads:MaxStagedPerTenant"] = TenantCount.ToString(CultureInfo.InvariantCulture),
            ["ModelStore:Uploads:MaxStagedBytes"] = TotalBytes.ToString(CultureInfo.InvariantCulture),
        });
        _http = _host.NewTransfersClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(byte[] bytes, string tenant, bool declareLength = true) =>
        ByteStreamRequests.PostAsync(_http, declareLength ? new ByteArrayContent(bytes) : new StreamContent(new MemoryStream(bytes)),
            ByteStream.FormatDigest(Sha256(bytes)), tenant, chunked: !declareLength);

    private Task<StagedUpload> StageAsync(byte[] bytes, string tenant = "acme") => ByteStreamRequests.StageAsync(_http, bytes, tenant);

    private static Task<(HttpStatusCode Status, string Title, string Detail, string? Field)> ProblemAsync(HttpResponseMessage response) =>
        ByteStreamRequests.ProblemAsync(response);

    private static UploadModelVersionRequest StagedArtifact(StagedUpload staged) => new()
    {
        Artifact = new Artifact { Kind = "model", Sha256 = staged.Sha256, SizeBytes = staged.SizeBytes, FileName = "model.zip", UploadId = staged.UploadId },
    };

    private int StagedFileCount => Directory.GetFiles(_host.Blobs.TempFolder, "*.staged").Length;

    [Fact]
    public async Task A_staged_upload_named_by_a_refused_upload_is_deleted_and_cannot_be_used_later()
    {
        var refusedAtTheVersion = await StageAsync(_model);
        var refusedAtTheBytes = await StageAsync(RandomBytes(1000, seed: 2));

        // Refused before its artifact message is read (the version names no model) ...
        var invalid = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(
            [new UploadModelVersionRequest { Version = UploadHeader("") }, StagedArtifact(refusedAtTheVersion)]));
        // ... and refused after it (the declaration disagrees with the staged bytes).
        var wrong = StagedArtifact(refusedAtTheBytes);
        wrong.Artifact.Sha256 = Sha256([9]);
        var mismatch = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync([new UploadModelVersionRequest { Version = UploadHeader("churn") }, wrong]));

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.DataLoss), (invalid.StatusCode, mismatch.StatusCode));
        Assert.Equal(0, StagedFileCount);
        foreach (var staged in new[] { refusedAtTheVersion, refusedAtTheBytes })
        {
            var later = await Assert.ThrowsAsync<RpcException>(() => _host.UploadModelAsync(
                [new UploadModelVersionRequest { Version = UploadHeader("churn") }, StagedArtifact(staged)]));
            Assert.Equal((StatusCode.NotFound, $"upload '{staged.UploadId}' was not found"), (later.StatusCode, later.Status.Detail));
        }
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
    }

    [Fact]
    public async Task Its_sender_deletes_a_staged_upload_and_only_its_own_tenant_can()
    {
        var staged = await StageAsync(_model);
        var client = new ByteStreamClient(_http, "globex");

        var otherTenant = await Assert.ThrowsAsync<ByteStreamException>(() => client.DeleteUploadAsync(staged.UploadId, CancellationToken.None));
        Assert.Equal(1, StagedFileCount);
        await new ByteStreamClient(_http, "acme").DeleteUploadAsync(staged.UploadId, CancellationToken.None);
        var again = await Assert.ThrowsAsync<ByteStreamException>(() => new ByteStreamClient(_http, "acme").DeleteUploadAsync(staged.UploadId, CancellationToken.None));

        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), (otherTenant.Status, otherTenant.Title));
        Assert.Equal((HttpStatusCode.NotFound, $"upload '{staged.UploadId}' was not found"), (again.Status, again.Detail));
        Assert.Equal(0, StagedFileCount);
    }

    [Fact]
    public async Task Its_tenant_reads_a_staged_upload_back_as_often_as_it_likes_and_it_stays_staged()
    {
        // How a fold of a cross-validation hands its scored rows to the job that reports the folds.
        var staged = await StageAsync(_model);
        var folder = Directory.CreateTempSubdirectory("staged-read").FullName;
        try
        {
            var client = new ByteStreamClient(_http, "acme");
            var first = await client.DownloadAsync(ByteStream.UploadPath(staged.UploadId), Path.Combine(folder, "1"), CancellationToken.None);
            var second = await client.DownloadAsync(ByteStream.UploadPath(staged.UploadId), Path.Combine(folder, "2"), CancellationToken.None);
            var otherTenant = await Assert.ThrowsAsync<ByteStreamException>(() =>
                new ByteStreamClient(_http, "globex").DownloadAsync(ByteStream.UploadPath(staged.UploadId), Path.Combine(folder, "3"), CancellationToken.None));

            Assert.Equal((staged.Sha256, staged.SizeBytes), (first.Sha256, first.SizeBytes));
            Assert.Equal(_model, await File.ReadAllBytesAsync(Path.Combine(folder, "2")));
            Assert.Equal(first.Sha256, second.Sha256);
            Assert.Equal((HttpStatusCode.NotFound, $"upload '{staged.UploadId}' was not found"), (otherTenant.Status, otherTenant.Detail));
            Assert.Equal(1, StagedFileCount);
            await client.DeleteUploadAsync(staged.UploadId, CancellationToken.None);
            var gone = await Assert.ThrowsAsync<ByteStreamException>(() =>
                client.DownloadAsync(ByteStream.UploadPath(staged.UploadId), Path.Combine(folder, "4"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_tenant_past_its_staged_bytes_or_count_is_refused_naming_the_quota_and_others_still_stage()
    {
        await StageAsync(_model);
        await StageAsync(_model);

        // 2 MB staged: 1.5 MB more passes the 3 MB quota, declared or counted.
        var large = RandomBytes(1_500_000, seed: 3);
        using var declared = await PostAsync(large, "acme");
        using var counted = await PostAsync(large, "acme", declareLength: false);
        foreach (var problem in new[] { await ProblemAsync(declared), await ProblemAsync(counted) })
        {
            Assert.Equal(((HttpStatusCode)429, "ResourceExhausted", "ModelStore:Uploads:MaxStagedBytesPerTenant"), (problem.Status, problem.Title, problem.Field));
            Assert.Contains($"tenant 'acme' has 2000000 bytes staged; 1500000 more would pass its quota of {TenantBytes} bytes", problem.Detail, StringComparison.Ordinal);
        }

        await StageAsync(RandomBytes(10, seed: 4));
        using var fourth = await PostAsync(RandomBytes(10, seed: 5), "acme");
        var count = await ProblemAsync(fourth);
        Assert.Equal(("ResourceExhausted", "ModelStore:Uploads:MaxStagedPerTenant"), (count.Title, count.Field));
        Assert.Contains($"({TenantCount})", count.Detail, StringComparison.Ordinal);

        // Another tenant has its own quota; the store's total (5 MB) still bounds both together.
        await StageAsync(_model, "globex");
        await StageAsync(_model, "globex");
        using var pastTotal = await PostAsync(_model, "globex");
        var total = await ProblemAsync(pastTotal);
        Assert.Equal(("ResourceExhausted", "ModelStore:Uploads:MaxStagedBytes"), (total.Title, total.Field));
        Assert.Contains($"the store's quota of {TotalBytes} bytes", total.Detail, StringComparison.Ordinal);
        Assert.Equal(5, StagedFileCount);
    }
}
