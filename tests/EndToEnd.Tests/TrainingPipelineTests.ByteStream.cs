using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Grpc.Core;
using Platform.Models.V1;
using Platform.Transfers;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The byte stream through the gateway's relay, as the CLI uses it: bytes over plain HTTP/1.1 to the gateway's
/// transfers port, relayed to the model store on PostgreSQL; metadata and the registration over the gateway's gRPC.
/// </summary>
public sealed partial class TrainingPipelineTests
{
    [Fact]
    public async Task Bytes_uploaded_and_downloaded_through_the_gateways_byte_stream_arrive_intact()
    {
        var bytes = new byte[3_000_000];
        new Random(5).NextBytes(bytes);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var file = Path.Combine(Path.GetTempPath(), $"e2e-bytes-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(file, bytes);
        using var http = platform.NewTransfersClient();
        var client = new ByteStreamClient(http, "relay-co");
        try
        {
            var staged = await client.UploadAsync(file, sha256, CancellationToken.None);
            var uploaded = await UploadStagedAsync("relay-model", staged, "relay-co");
            var saved = await client.DownloadAsync(ByteStream.ArtifactPath("relay-model:1", "model"), file + ".down", CancellationToken.None);

            Assert.Equal((1, sha256), (uploaded.Version, uploaded.Artifacts.Single().Sha256));
            Assert.Equal((sha256, (long)bytes.Length, "relay-model:1"), (saved.Sha256, saved.SizeBytes, saved.ModelVersion));
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file + ".down"));
            // Byte for byte what the gRPC download gives.
            using var call = Models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = "relay-model" }, Tenant("relay-co"));
            using var grpcBytes = new MemoryStream();
            await foreach (var chunk in call.ResponseStream.ReadAllAsync()) chunk.Data.WriteTo(grpcBytes);
            Assert.Equal(bytes, grpcBytes.ToArray());
        }
        finally
        {
            File.Delete(file);
            File.Delete(file + ".down");
        }
    }

    [Fact]
    public async Task The_gateways_byte_stream_passes_the_stores_errors_and_keeps_tenants_apart()
    {
        using var http = platform.NewTransfersClient();
        var bytes = "not a model"u8.ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"e2e-bytes-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(file, bytes);
        try
        {
            var staged = await new ByteStreamClient(http, "relay-a").UploadAsync(file, Convert.ToHexStringLower(SHA256.HashData(bytes)), CancellationToken.None);
            await UploadStagedAsync("private-model", staged, "relay-a");

            var otherTenant = await Assert.ThrowsAsync<ByteStreamException>(() =>
                new ByteStreamClient(http, "relay-b").DownloadAsync(ByteStream.ArtifactPath("private-model", "model"), file + ".down", CancellationToken.None));
            var wrongDigest = await Assert.ThrowsAsync<ByteStreamException>(() =>
                new ByteStreamClient(http, "relay-a").UploadAsync(file, new string('0', 64), CancellationToken.None));
            var badTenant = await Assert.ThrowsAsync<ByteStreamException>(() =>
                new ByteStreamClient(http, "Not A Tenant").DownloadAsync(ByteStream.ArtifactPath("private-model", "model"), file + ".down", CancellationToken.None));

            Assert.Equal((HttpStatusCode.NotFound, "NotFound", "model 'private-model' was not found"), (otherTenant.Status, otherTenant.Title, otherTenant.Detail));
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "DataLoss"), (wrongDigest.Status, wrongDigest.Title));
            Assert.StartsWith("Repr-Digest: the bytes hash to sha256 ", wrongDigest.Detail, StringComparison.Ordinal);
            // The admin key may act for another tenant, but only one with a valid name; the access check refuses it at the edge.
            Assert.Equal((HttpStatusCode.Forbidden, "PermissionDenied"), (badTenant.Status, badTenant.Title));
            Assert.StartsWith("x-tenant-id: ", badTenant.Detail, StringComparison.Ordinal);
            Assert.False(File.Exists(file + ".down"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_worker_moves_a_jobs_bytes_over_the_stores_byte_stream()
    {
        var store = platform.Processes.Single(p => p.Name == "ModelStore");
        var stagedBefore = StagedUploads(store.Output);
        var dataset = await UploadAsync(Penguins);

        var job = await RunToEndAsync(await Jobs.SubmitJobAsync(new Platform.Jobs.V1.SubmitJobRequest
        {
            Spec = new Platform.Jobs.V1.JobSpec
            {
                DatasetId = dataset.Id, Task = Platform.Jobs.V1.TrainingTask.MulticlassClassification, LabelColumn = "Species",
                Trainer = "sdca_maximum_entropy", Seed = 7, ModelName = "penguins-byte-stream",
            },
        }));
        var version = await Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins-byte-stream", Version = job.Result.ModelVersion });

        // Every artifact of the version arrived as staged bytes (the store logs each staging), none as gRPC chunks.
        Assert.Equal(version.Artifacts.Count, StagedUploads(store.Output) - stagedBefore);
        Assert.All(version.Artifacts, a => Assert.Contains($"sha256 {a.Sha256}", store.Output, StringComparison.Ordinal));
    }

    private static int StagedUploads(string log) =>
        log.Split('\n').Count(line => line.Contains("Staged upload", StringComparison.Ordinal) && line.Contains("of tenant default", StringComparison.Ordinal));

    private static Metadata Tenant(string tenant) => new() { { ByteStream.TenantHeader, tenant } };

    private async Task<ModelVersion> UploadStagedAsync(string modelName, StagedUpload staged, string tenant)
    {
        using var call = Models.UploadModelVersion(Tenant(tenant));
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Version = new ModelVersion { ModelName = modelName, Task = "regression", Trainer = "lightgbm", LabelColumn = "y" },
        });
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Artifact = new Artifact { Kind = "model", Sha256 = staged.Sha256, SizeBytes = staged.SizeBytes, FileName = "model.zip", UploadId = staged.UploadId },
        });
        await call.RequestStream.CompleteAsync();
        return await call;
    }
}
