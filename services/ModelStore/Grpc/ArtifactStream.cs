using Google.Protobuf;
using Grpc.Core;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Models;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// Receives the artifacts of a registration or an upload (the two share their framing: after the version message, for
/// each artifact one <c>artifact</c> message then its <c>chunk</c> messages). Each artifact streams to a temp file while
/// being hashed, so memory stays bounded whatever the size, and is checked against its declared size and SHA-256 as
/// soon as it ends.
/// </summary>
internal static class ArtifactStream
{
    /// <summary>Most artifacts one version may have.</summary>
    public const int MaxArtifacts = 16;

    /// <summary>One message of the stream after the first: the start of an artifact, some bytes, or neither.</summary>
    public readonly record struct Part(Artifact? Artifact, ByteString? Chunk);

    /// <summary>How long a refused request's remaining messages are read for the staged uploads they name.</summary>
    private static readonly TimeSpan UseUpTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Checks the version (<paramref name="check"/>, which reads the first message already taken from
    /// <paramref name="requests"/>), receives the artifacts and registers the version: the one path of a registration
    /// and an upload. A staged upload the request names is used once whatever the outcome: its bytes become part of the
    /// version, or are deleted when the request is refused, even when the refusal comes before its artifact message was
    /// read (the rest of the request is read for the upload ids it names).
    /// </summary>
    public static async Task<RegistrationResult> RegisterAsync<T>(
        IAsyncStreamReader<T> requests, Func<T, Part> partOf, Func<ModelVersionRegistration> check, ModelVersionCatalog catalog,
        BlobStore blobs, string tenantId, long maxArtifactBytes, CancellationToken cancellationToken)
    {
        var artifacts = new List<ReceivedArtifact>();
        try
        {
            var registration = check();
            await ReceiveAsync(requests, partOf, blobs, tenantId, maxArtifactBytes, artifacts, cancellationToken);
            // Every artifact checked: from here on the client going away must not leave half a version, so
            // cancellation no longer applies.
            return await catalog.RegisterAsync(tenantId, registration, artifacts, CancellationToken.None);
        }
        catch (PlatformException)
        {
            await UseUpStagedAsync(requests, partOf, blobs, tenantId, cancellationToken);
            throw;
        }
        finally
        {
            await DiscardAsync(artifacts);
        }
    }

    /// <summary>Reads what is left of a refused request and deletes every staged upload it names.</summary>
    private static async Task UseUpStagedAsync<T>(
        IAsyncStreamReader<T> requests, Func<T, Part> partOf, BlobStore blobs, string tenantId, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(UseUpTimeout);
        try
        {
            while (await requests.MoveNext(bounded.Token))
            {
                if (partOf(requests.Current).Artifact is { UploadId.Length: > 0 } artifact
                    && Guid.TryParse(artifact.UploadId, out var id)
                    && blobs.TakeStaged(tenantId, id) is { } staged)
                    await staged.DisposeAsync();
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or RpcException or InvalidOperationException)
        {
            // The client went away or stopped sending: what it named so far is deleted, the rest expires with the
            // staged-upload lifetime.
        }
    }

    /// <summary>
    /// Reads the rest of <paramref name="requests"/> into <paramref name="received"/> (one entry per artifact, so the
    /// caller can dispose every temp file, whatever happens). Requires a "model" artifact.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The framing is wrong, or an artifact is malformed or over the size limit.</exception>
    /// <exception cref="DataLossException">An artifact's bytes do not match its declared size or SHA-256.</exception>
    /// <exception cref="NotFoundException">An artifact names an <c>upload_id</c> the tenant has no staged bytes under.</exception>
    public static async Task ReceiveAsync<T>(
        IAsyncStreamReader<T> requests, Func<T, Part> partOf, BlobStore blobs, string tenantId, long maxArtifactBytes,
        List<ReceivedArtifact> received, CancellationToken cancellationToken)
    {
        ReceivedArtifact? current = null;
        var staged = false;
        while (await requests.MoveNext(cancellationToken))
        {
            var part = partOf(requests.Current);
            if (part.Artifact is { } artifact)
            {
                if (current is not null) await VerifyAsync(current, cancellationToken);
                var declaration = ArtifactDeclaration.From(artifact, maxArtifactBytes);
                if (received.Any(a => a.Declaration.Kind == declaration.Kind))
                    throw new InvalidArgumentException("artifact.kind", $"{Echo.Quote(declaration.Kind)} is sent twice");
                if (received.Count == MaxArtifacts)
                    throw new InvalidArgumentException("artifact", $"a version has at most {MaxArtifacts} artifacts");
                staged = !string.IsNullOrEmpty(artifact.UploadId);
                // Bytes sent earlier over the byte stream are taken from where it staged them; they are checked below
                // against the declaration exactly as streamed bytes are.
                var upload = staged ? TakeStaged(blobs, tenantId, artifact.UploadId) : blobs.StartUpload();
                current = new ReceivedArtifact(declaration, upload);
                received.Add(current);
            }
            else if (part.Chunk is { } chunk)
            {
                if (current is null)
                    throw new InvalidArgumentException("chunk", "bytes must follow an artifact message");
                if (staged)
                    throw new InvalidArgumentException("chunk",
                        $"artifact {Echo.Quote(current.Declaration.Kind)} names an upload_id, so no bytes may follow it");
                // Stop at the first byte past the declared size instead of storing an unbounded stream.
                if (current.Upload.Length + chunk.Length > current.Declaration.SizeBytes)
                    throw new DataLossException(
                        $"artifact {Echo.Quote(current.Declaration.Kind)}: more bytes arrived than the declared size_bytes {current.Declaration.SizeBytes}; nothing was registered");
                await current.Upload.WriteAsync(chunk.Memory, cancellationToken);
            }
            else
            {
                throw new InvalidArgumentException("version", "only the first message may be the version");
            }
        }
        if (current is not null) await VerifyAsync(current, cancellationToken);
        if (!received.Any(a => a.Declaration.Kind == ArtifactDeclaration.ModelKind))
            throw new InvalidArgumentException("artifact", "a version needs a \"model\" artifact (the ML.NET model zip)");
    }

    private static async Task VerifyAsync(ReceivedArtifact artifact, CancellationToken cancellationToken)
    {
        var declared = artifact.Declaration;
        var sha256 = await artifact.Upload.CompleteAsync(cancellationToken);
        if (artifact.Upload.Length != declared.SizeBytes)
            throw new DataLossException(
                $"artifact {Echo.Quote(declared.Kind)}: {artifact.Upload.Length} bytes arrived, size_bytes says {declared.SizeBytes}; nothing was registered");
        if (sha256 != declared.Sha256)
            throw new DataLossException(
                $"artifact {Echo.Quote(declared.Kind)}: the bytes hash to {sha256}, sha256 says {declared.Sha256}; nothing was registered");
    }

    private static BlobUpload TakeStaged(BlobStore blobs, string tenantId, string uploadId)
    {
        if (!Guid.TryParse(uploadId, out var id))
            throw new InvalidArgumentException("artifact.upload_id", $"{Echo.Quote(uploadId)} is not an upload id");
        return blobs.TakeStaged(tenantId, id) ?? throw new NotFoundException("upload", uploadId);
    }

    /// <summary>Deletes the temp file of every artifact not moved into the store.</summary>
    public static async Task DiscardAsync(IEnumerable<ReceivedArtifact> received)
    {
        foreach (var artifact in received)
            await artifact.Upload.DisposeAsync();
    }
}
