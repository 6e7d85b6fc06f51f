using Grpc.Core;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Models;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using ModelVersion = Platform.Models.V1.ModelVersion;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// The internal <c>ModelRegistry</c> that workers call. Each artifact streams to a temp file while being hashed;
/// only when every artifact matches its declared SHA-256 and size are the blobs moved into the store and the
/// version committed. A mismatch, a malformed stream or a call cut short leaves nothing behind.
/// </summary>
public sealed class ModelRegistryGrpcService(
    ModelVersionCatalog catalog, BlobStore blobs, ILogger<ModelRegistryGrpcService> logger)
    : ModelRegistry.ModelRegistryBase
{
    /// <summary>Most artifacts one version may have.</summary>
    public const int MaxArtifacts = 16;

    /// <inheritdoc />
    public override async Task<ModelVersion> RegisterModelVersion(
        IAsyncStreamReader<RegisterModelVersionRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        var tenantId = Tenant.From(context);
        var cancellationToken = context.CancellationToken;

        if (!await requestStream.MoveNext(cancellationToken)
            || requestStream.Current.ContentCase != RegisterModelVersionRequest.ContentOneofCase.Version)
            throw new InvalidArgumentException("version", "the first message of a registration must be the version");
        var registration = ModelVersionRegistration.From(requestStream.Current.Version);

        if (await catalog.FindByJobAsync(tenantId, registration.JobId, cancellationToken) is { } registered)
        {
            // A retry of a job that registered already. Reading the rest lets the sender finish writing
            // normally; the bytes are not needed.
            while (await requestStream.MoveNext(cancellationToken)) { }
            logger.LogInformation("Job {JobId} of tenant {TenantId} registered {Model} version {Version} before; returning it",
                registration.JobId, tenantId, registration.ModelName, registered.Version);
            return registered.ToProto();
        }

        var artifacts = new List<ReceivedArtifact>();
        try
        {
            await ReceiveArtifactsAsync(requestStream, artifacts, cancellationToken);
            if (artifacts.Count == 0)
                throw new InvalidArgumentException("artifact", "a version needs at least one artifact (kind \"model\")");

            // Every artifact checked: move the bytes into place, then commit the rows (the architecture's order,
            // so a committed version never points at missing bytes). Cancellation no longer applies here.
            foreach (var artifact in artifacts)
                await artifact.Upload.CommitAsync(CancellationToken.None);
            var version = await catalog.RegisterAsync(
                tenantId, registration, artifacts.Select(a => a.Declaration).ToList(), CancellationToken.None);

            logger.LogInformation("Registered {Model} version {Version} for job {JobId} of tenant {TenantId} ({Artifacts} artifacts)",
                registration.ModelName, version.Version, registration.JobId, tenantId, artifacts.Count);
            return version.ToProto();
        }
        finally
        {
            // Deletes the temp file of every artifact not moved into the store.
            foreach (var artifact in artifacts)
                await artifact.Upload.DisposeAsync();
        }
    }

    private async Task ReceiveArtifactsAsync(
        IAsyncStreamReader<RegisterModelVersionRequest> requestStream, List<ReceivedArtifact> artifacts,
        CancellationToken cancellationToken)
    {
        ReceivedArtifact? current = null;
        while (await requestStream.MoveNext(cancellationToken))
        {
            var message = requestStream.Current;
            switch (message.ContentCase)
            {
                case RegisterModelVersionRequest.ContentOneofCase.Artifact:
                    if (current is not null) await VerifyAsync(current, cancellationToken);
                    var declaration = ArtifactDeclaration.From(message.Artifact);
                    if (artifacts.Any(a => a.Declaration.Kind == declaration.Kind))
                        throw new InvalidArgumentException("artifact.kind", $"'{declaration.Kind}' is sent twice");
                    if (artifacts.Count == MaxArtifacts)
                        throw new InvalidArgumentException("artifact", $"a version has at most {MaxArtifacts} artifacts");
                    current = new ReceivedArtifact(declaration, blobs.StartUpload());
                    artifacts.Add(current);
                    break;

                case RegisterModelVersionRequest.ContentOneofCase.Chunk:
                    if (current is null)
                        throw new InvalidArgumentException("chunk", "bytes must follow an artifact message");
                    var bytes = message.Chunk.Memory;
                    // Stop at the first byte past the declared size instead of storing an unbounded stream.
                    if (current.Upload.Length + bytes.Length > current.Declaration.SizeBytes)
                        throw new DataLossException(
                            $"artifact '{current.Declaration.Kind}': more bytes arrived than the declared size_bytes {current.Declaration.SizeBytes}; nothing was registered");
                    await current.Upload.WriteAsync(bytes, cancellationToken);
                    break;

                default:
                    throw new InvalidArgumentException("version", "only the first message of a registration may be the version");
            }
        }
        if (current is not null) await VerifyAsync(current, cancellationToken);
    }

    private static async Task VerifyAsync(ReceivedArtifact artifact, CancellationToken cancellationToken)
    {
        var declared = artifact.Declaration;
        var sha256 = await artifact.Upload.CompleteAsync(cancellationToken);
        if (artifact.Upload.Length != declared.SizeBytes)
            throw new DataLossException(
                $"artifact '{declared.Kind}': {artifact.Upload.Length} bytes arrived, size_bytes says {declared.SizeBytes}; nothing was registered");
        if (sha256 != declared.Sha256)
            throw new DataLossException(
                $"artifact '{declared.Kind}': the bytes hash to {sha256}, sha256 says {declared.Sha256}; nothing was registered");
    }

    private sealed record ReceivedArtifact(ArtifactDeclaration Declaration, BlobUpload Upload);
}
