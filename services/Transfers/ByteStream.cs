using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Platform.Transfers;

/// <summary>
/// The wire contract of the model store's byte stream: plain HTTP/1.1 routes that move artifact and data set bytes
/// next to the gRPC API (which keeps the metadata, the checks and the errors). Part of the public API that every client
/// (CLI, worker, benchmarks) shares, like the protos. See docs/registry.md, "Byte stream".
/// </summary>
public static class ByteStream
{
    /// <summary>RFC 9530 representation digest: <c>sha-256=:&lt;base64&gt;:</c>, on downloads and required on uploads.</summary>
    public const string DigestHeader = "Repr-Digest";

    /// <summary>The tenant the request acts for, as on the gRPC API.</summary>
    public const string TenantHeader = "x-tenant-id";

    /// <summary>On an artifact download: the version the reference resolved to, <c>name:N</c>.</summary>
    public const string ModelVersionHeader = "X-Model-Version";

    /// <summary>On an artifact download: the artifact's kind (<c>model</c>, <c>onnx</c>, …).</summary>
    public const string ArtifactKindHeader = "X-Artifact-Kind";

    /// <summary>Where uploads go (POST).</summary>
    public const string UploadsPath = "/v1/uploads";

    /// <summary>
    /// The route templates, one place for the store that serves them, the gateway that relays them and the gateway's
    /// access table that says who may call them.
    /// </summary>
    public static class Routes
    {
        /// <summary>GET: an artifact's bytes.</summary>
        public const string Artifact = "/v1/models/{reference}/artifacts/{kind}";

        /// <summary>GET: a data set's bytes.</summary>
        public const string Dataset = "/v1/datasets/{datasetId}/content";

        /// <summary>POST: bytes staged for an upload or registration.</summary>
        public const string Upload = UploadsPath;

        /// <summary>DELETE: a staged upload its sender will not register after all.</summary>
        public const string StagedUpload = UploadsPath + "/{uploadId}";
    }

    /// <summary>
    /// Size of the buffer a client's upload reads its file in and sends from: 1 MiB, as the gRPC chunks. (The receiving
    /// side reads, hashes and writes in <see cref="AlignedBuffer.Bytes"/> pieces.)
    /// </summary>
    public const int BufferBytes = 1024 * 1024;

    /// <summary>One staged upload, to delete it (DELETE) when the registration that was to use it is not going to.</summary>
    public static string UploadPath(string uploadId) => $"{UploadsPath}/{Uri.EscapeDataString(uploadId)}";

    /// <summary>An artifact's bytes: <c>GET /v1/models/{reference}/artifacts/{kind}</c>, reference as in <c>ResolveModel</c>.</summary>
    public static string ArtifactPath(string reference, string kind) =>
        $"/v1/models/{Uri.EscapeDataString(reference)}/artifacts/{Uri.EscapeDataString(kind)}";

    /// <summary>A data set's bytes: <c>GET /v1/datasets/{id}/content</c>.</summary>
    public static string DatasetPath(string datasetId) => $"/v1/datasets/{Uri.EscapeDataString(datasetId)}/content";

    /// <summary>The <see cref="DigestHeader"/> value for a SHA-256 given as hex.</summary>
    public static string FormatDigest(string sha256Hex) => $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(sha256Hex))}:";

    /// <summary>
    /// The SHA-256 in a <see cref="DigestHeader"/> value (a structured-field dictionary that may list other
    /// algorithms too), as lower-case hex; null when there is none or it is malformed.
    /// </summary>
    public static string? ParseDigest(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        foreach (var member in value.Split(','))
        {
            var parts = member.Trim().Split('=', 2);
            if (parts.Length != 2 || !parts[0].Trim().Equals("sha-256", StringComparison.OrdinalIgnoreCase)) continue;
            var bytes = parts[1].Trim();
            if (bytes.Length < 2 || bytes[0] != ':' || bytes[^1] != ':') return null;
            var decoded = new byte[32];
            return Convert.TryFromBase64String(bytes[1..^1], decoded, out var written) && written == 32
                ? Convert.ToHexStringLower(decoded)
                : null;
        }
        return null;
    }
}

/// <summary>What an upload staged: pass <see cref="UploadId"/> as <c>Artifact.upload_id</c> in the gRPC registration.</summary>
public sealed record StagedUpload(string UploadId, string Sha256, long SizeBytes);

/// <summary>What a download saved: the checked SHA-256 and size, and the headers' description.</summary>
public sealed record DownloadedFile(string Sha256, long SizeBytes, string? FileName, string? ModelVersion);

/// <summary>
/// A byte-stream request the server refused: the HTTP status, the problem's title (the gRPC status name the same
/// failure has there, such as <c>NotFound</c> or <c>DataLoss</c>) and its detail.
/// </summary>
public sealed class ByteStreamException(HttpStatusCode status, string title, string detail)
    : Exception($"{(int)status} {title}: {detail}")
{
    public HttpStatusCode Status { get; } = status;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
}

/// <summary>
/// A client of the byte stream over an <see cref="HttpClient"/> whose base address is the store's (or the gateway's)
/// transfers port. Downloads go through <see cref="HashedFileWriter"/> (read, hashed and written at once, then flushed);
/// uploads send the file as the request body with its SHA-256 in <see cref="ByteStream.DigestHeader"/>.
/// </summary>
public sealed class ByteStreamClient(HttpClient http, string? tenant)
{
    /// <summary>
    /// Saves the bytes at <paramref name="path"/> to <paramref name="destination"/> (flushed to disk), checking size and
    /// SHA-256 against the response's headers as they pass; on a mismatch or an error the file is deleted.
    /// </summary>
    /// <exception cref="ByteStreamException">The server refused the request.</exception>
    /// <exception cref="InvalidDataException">The bytes do not match the digest or length the server announced.</exception>
    public async Task<DownloadedFile> DownloadAsync(string path, string destination, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        AddTenant(request);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var expected = ByteStream.ParseDigest(Header(response, ByteStream.DigestHeader))
                       ?? throw new InvalidDataException($"the response has no {ByteStream.DigestHeader} sha-256");
        var length = response.Content.Headers.ContentLength;
        var done = false;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            string sha256;
            long size;
            using (var file = HashedFileWriter.Create(destination, FileMode.Create))
            {
                size = await file.CopyFromAsync(body, long.MaxValue, cancellationToken);
                sha256 = file.Complete();
            }
            if (length is { } announced && announced != size)
                throw new InvalidDataException($"{size} bytes arrived, Content-Length said {announced}");
            if (sha256 != expected)
                throw new InvalidDataException($"the bytes hash to {sha256}, {ByteStream.DigestHeader} says {expected}");
            done = true;
            return new DownloadedFile(sha256, size, response.Content.Headers.ContentDisposition?.FileNameStar
                                                    ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'),
                Header(response, ByteStream.ModelVersionHeader));
        }
        finally
        {
            if (!done) File.Delete(destination);
        }
    }

    /// <summary>Sends a file's bytes to <see cref="ByteStream.UploadsPath"/>, declaring <paramref name="sha256"/> (hex).</summary>
    /// <exception cref="ByteStreamException">The server refused the bytes (wrong digest, too large, …).</exception>
    public async Task<StagedUpload> UploadAsync(string file, string sha256, CancellationToken cancellationToken)
    {
        await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var request = new HttpRequestMessage(HttpMethod.Post, ByteStream.UploadsPath)
        {
            // StreamContent reads the file in buffers of this size and writes each straight to the socket.
            Content = new StreamContent(source, ByteStream.BufferBytes),
        };
        request.Content.Headers.ContentLength = source.Length;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.TryAddWithoutValidation(ByteStream.DigestHeader, ByteStream.FormatDigest(sha256));
        AddTenant(request);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<StagedUpload>(cancellationToken)
               ?? throw new InvalidDataException("the upload's response is empty");
    }

    /// <summary>
    /// Deletes bytes this client staged and will not register after all (a registration that failed): a staged upload
    /// is used once, and one never used only expires later.
    /// </summary>
    /// <exception cref="ByteStreamException">The server refused (NotFound: already used, expired or never staged).</exception>
    public async Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ByteStream.UploadPath(uploadId));
        AddTenant(request);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    private void AddTenant(HttpRequestMessage request)
    {
        if (!string.IsNullOrEmpty(tenant)) request.Headers.TryAddWithoutValidation(ByteStream.TenantHeader, tenant);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        ProblemBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemBody>(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException)
        {
            // Not a problem document (a proxy's error page): the status line says what there is to say.
        }
        throw new ByteStreamException(response.StatusCode, problem?.Title ?? response.StatusCode.ToString(),
            problem?.Detail ?? response.ReasonPhrase ?? "");
    }

    private sealed record ProblemBody(string? Title, string? Detail);
}
