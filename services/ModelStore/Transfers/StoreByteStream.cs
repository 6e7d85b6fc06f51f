using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Grpc;
using Platform.ModelStore.Models;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Security;
using Platform.ServiceDefaults.Tenancy;
using Platform.ServiceDefaults.Transfers;
using Platform.Transfers;
using Platform.Contracts;

namespace Platform.ModelStore.Transfers;

/// <summary>
/// The model store's byte stream: artifact and data set bytes over plain HTTP/1.1 on the transfers port, next to the
/// gRPC API, because .NET moves bulk bytes over HTTP/1.1 at a fraction of the CPU HTTP/2 and gRPC cost
/// (docs/registry.md, "Byte stream"). Same tenancy (<c>x-tenant-id</c>), names checked by the same rules, the same
/// NotFound texts; the routes only move bytes, everything else stays in gRPC:
/// <list type="bullet">
/// <item><c>GET /v1/models/{reference}/artifacts/{kind}</c> and <c>GET /v1/datasets/{id}/content</c>: the stored bytes
/// with <c>Content-Length</c> and their recorded SHA-256 in <c>Repr-Digest</c>, sent from the blob file without
/// re-hashing (the client checks the digest as it writes).</item>
/// <item><c>POST /v1/uploads</c>: bytes for an upload or registration, with their SHA-256 in <c>Repr-Digest</c>; hashed
/// and written to a temp file as they arrive (<see cref="BlobUpload.ReceiveAsync"/>), flushed, checked, and staged under an upload id that an <c>artifact</c> message
/// of <c>UploadModelVersion</c> / <c>RegisterModelVersion</c> then names instead of sending chunks.</item>
/// <item><c>GET /v1/uploads/{id}</c>: the bytes of a staged upload of the caller's tenant, left staged: a fold of a
/// cross-validation run as a job of its own stages its scored rows, and the job that reports the folds reads them
/// (docs/training.md, "Folds in parallel").</item>
/// <item><c>DELETE /v1/uploads/{id}</c>: a staged upload its sender will not register after all, or that was read for the last time.</item>
/// </list>
/// </summary>
public static class StoreByteStream
{
    /// <summary>
    /// Maps the routes on the store's transfers listener (<see cref="PlatformListeners.InternalTransfers"/>), for internal
    /// callers only: the gateway relays clients' requests here, the worker calls directly.
    /// </summary>
    public static WebApplication MapStoreByteStream(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapByteStreamGroup("", app.Services.GetRequiredService<PlatformListeners>().InternalTransfers)
            .RequireAuthorization(ServiceCredential.Policy);
        group.MapGet(ByteStream.Routes.Artifact, DownloadArtifactAsync);
        group.MapGet(ByteStream.Routes.Dataset, DownloadDatasetAsync);
        group.MapPost(ByteStream.Routes.Upload, UploadAsync);
        group.MapGet(ByteStream.Routes.StagedUpload, DownloadUpload);
        group.MapDelete(ByteStream.Routes.StagedUpload, DeleteUpload);
        return app;
    }

    private static async Task<IResult> DownloadArtifactAsync(
        string reference, string kind, HttpContext http, ModelVersionCatalog catalog, BlobStore blobs, CancellationToken cancellationToken)
    {
        var tenantId = Tenant.From(http);
        var parsed = ModelReference.Parse(reference);
        if (!ArtifactDeclaration.IsKind(kind))
            throw new InvalidArgumentException("kind", $"{Echo.Quote(kind)} is not an artifact kind (1-{ArtifactDeclaration.MaxKindLength} of a-z, 0-9, '-', '_', starting with a letter)");
        var version = await catalog.ResolveAsync(tenantId, parsed, cancellationToken);
        var name = $"{version.Model!.Name}:{version.Version}";
        var artifact = version.Artifacts.SingleOrDefault(a => a.Kind == kind)
                       ?? throw new NotFoundException("artifact", $"{name}/{kind}");
        http.Response.Headers[ByteStream.ModelVersionHeader] = name;
        http.Response.Headers[ByteStream.ArtifactKindHeader] = kind;
        return Bytes(http, blobs, artifact.Sha256, artifact.FileName, $"artifact {Echo.Quote(kind)} of model version {Echo.Quote(name)}");
    }

    private static async Task<IResult> DownloadDatasetAsync(
        string datasetId, HttpContext http, ModelStoreDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var record = await DatasetGrpcService.FindAsync(db, Tenant.From(http), datasetId, cancellationToken);
        return Bytes(http, blobs, record.Sha256, record.Name, $"dataset {Echo.Quote(record.Id)}");
    }

    /// <summary>
    /// A stored blob as the response (<see cref="BlobFile"/>), with its recorded SHA-256. Not re-hashed here: a client
    /// checks the digest anyway, and hashing would cost the store a core-second per GB; the gRPC download and the
    /// maintenance pass's checks stay the store's own guard against bit rot.
    /// </summary>
    private static IResult Bytes(HttpContext http, BlobStore blobs, string sha256, string fileName, string owner)
    {
        var path = blobs.PathOf(sha256);
        if (!File.Exists(path))
            return Results.Problem(detail: $"the stored bytes of {owner} (sha256 {sha256}) are missing from the blob store",
                statusCode: StatusCodes.Status500InternalServerError, title: "DataLoss");
        http.Response.Headers[ByteStream.DigestHeader] = ByteStream.FormatDigest(sha256);
        return new BlobFile(path, fileName);
    }

    /// <summary>
    /// A file as the response body, read and sent in 4 MiB pieces (<see cref="AlignedBuffer"/>), the next read while the
    /// last is sent. Kestrel's own file sending (<c>Results.File</c>) copies 64 KiB at a time with a flush each; measured,
    /// larger writes cost the store less CPU per GB, which on a 2-core machine the client's hashing needs. The reads are
    /// direct I/O where the
    /// file system has it (<see cref="DirectIo"/>): the disk fills the two buffers, and a blob read once does not fill
    /// the page cache with pages of its own.
    /// </summary>
    private sealed class BlobFile(string path, string fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            // Every read is a whole buffer at a multiple of its size, as direct I/O asks; the last one comes back short.
            DirectIo.TrySet(file, on: true);
            var response = httpContext.Response;
            var length = RandomAccess.GetLength(file);
            response.ContentType = "application/octet-stream";
            response.ContentLength = length;
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(fileName);
            response.Headers.ContentDisposition = disposition.ToString();
            var cancellationToken = httpContext.RequestAborted;
            AlignedBuffer current = AlignedBuffer.Rent(), next = AlignedBuffer.Rent();
            try
            {
                long offset = 0;
                var count = length > 0 ? RandomAccess.Read(file, current.Memory.Span, offset) : 0;
                while (count > 0)
                {
                    // Kestrel copies the bytes into its output before WriteAsync returns; the send runs while the next read does.
                    var sending = response.Body.WriteAsync(current.Memory[..count], cancellationToken);
                    offset += count;
                    count = offset < length ? RandomAccess.Read(file, next.Memory.Span, offset) : 0;
                    await sending;
                    (current, next) = (next, current);
                }
                if (offset != length)
                    throw new IOException($"{path} ended after {offset} of its {length} bytes");
            }
            finally
            {
                current.Return();
                next.Return();
            }
        }
    }

    private static async Task<IResult> UploadAsync(
        HttpContext http, BlobStore blobs, IOptions<ModelStoreOptions> options, ILogger<BlobStore> logger, CancellationToken cancellationToken)
    {
        var tenantId = Tenant.From(http);
        var limit = options.Value.MaxArtifactBytes;
        var declared = ByteStream.ParseDigest(http.Request.Headers[ByteStream.DigestHeader])
                       ?? throw new InvalidArgumentException(ByteStream.DigestHeader,
                           "is required: the SHA-256 of the body as sha-256=:<base64 of the 32 bytes>: (RFC 9530)");
        if (http.Request.ContentLength > limit)
            return TooLarge(http.Request.ContentLength.Value, limit);
        // A declared length that cannot fit the quotas is refused before its bytes are read; StageAsync checks again.
        blobs.CheckStagingQuota(tenantId, http.Request.ContentLength ?? 0, options.Value.Uploads);

        // Disposed without being staged (an error, a body cut off, a client gone), the temp file is deleted.
        await using var upload = blobs.StartUpload();
        var size = await upload.ReceiveAsync(http.Request.Body, limit, cancellationToken);
        if (size > limit) return TooLarge(size, limit);
        var sha256 = await upload.CompleteAsync(cancellationToken);
        if (sha256 != declared)
            throw new DataLossException($"{ByteStream.DigestHeader}: the bytes hash to sha256 {sha256}, the header says {declared}; nothing was stored");
        var (uploadId, _) = await blobs.StageAsync(upload, tenantId, options.Value.Uploads, cancellationToken);
        logger.LogInformation("Staged upload {UploadId} of tenant {TenantId}: {Bytes} bytes, sha256 {Sha256}", uploadId, tenantId, size, sha256);
        return Results.Json(new StagedUpload(uploadId.ToString("N"), sha256, size), statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The bytes of a staged upload of the caller's tenant, which stays staged (until used, deleted or swept).</summary>
    private static BlobFile DownloadUpload(string uploadId, HttpContext http, BlobStore blobs)
    {
        if (!Guid.TryParse(uploadId, out var id))
            throw new InvalidArgumentException("uploadId", $"{Echo.Quote(uploadId)} is not an upload id");
        var (path, sha256) = blobs.FindStaged(Tenant.From(http), id) ?? throw new NotFoundException("upload", uploadId);
        http.Response.Headers[ByteStream.DigestHeader] = ByteStream.FormatDigest(sha256);
        return new BlobFile(path, $"upload-{id:N}");
    }

    /// <summary>Deletes a staged upload of the caller's tenant that no registration will use (the worker's, after a failure).</summary>
    private static async Task<IResult> DeleteUpload(string uploadId, HttpContext http, BlobStore blobs)
    {
        if (!Guid.TryParse(uploadId, out var id))
            throw new InvalidArgumentException("uploadId", $"{Echo.Quote(uploadId)} is not an upload id");
        var staged = blobs.TakeStaged(Tenant.From(http), id) ?? throw new NotFoundException("upload", uploadId);
        await staged.DisposeAsync();
        return Results.NoContent();
    }

    private static IResult TooLarge(long size, long limit) => ByteStreamProblems.TooLarge("ModelStore:MaxArtifactBytes",
        $"{size} bytes is more than this store accepts per artifact ({limit} bytes); nothing was stored");
}
