using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Models;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.ServiceDefaults.Errors;
using ModelVersion = Platform.Models.V1.ModelVersion;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// The internal <c>ModelRegistry</c> that workers call. Each artifact streams to a temp file while being hashed;
/// only when every artifact matches its declared SHA-256 and size are the blobs moved into the store and the
/// version committed. A mismatch, a malformed stream or a call cut short leaves nothing behind. A job registers one
/// model: a retry with the same model bytes gets the version registered first, other bytes are refused
/// (<see cref="ModelVersionCatalog.RegisterAsync"/>).
/// </summary>
public sealed class ModelRegistryGrpcService(
    ModelVersionCatalog catalog, BlobStore blobs, IOptions<ModelStoreOptions> options, ILogger<ModelRegistryGrpcService> logger)
    : ModelRegistry.ModelRegistryBase
{
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
        var version = requestStream.Current.Version;
        var result = await ArtifactStream.RegisterAsync(requestStream, Part, () => ModelVersionRegistration.FromJob(version),
            catalog, blobs, tenantId, options.Value.MaxArtifactBytes, cancellationToken);
        var registered = result.Version;
        if (result.Created)
            logger.LogInformation("Registered {Model} version {Version} for job {JobId} of tenant {TenantId} ({Artifacts} artifacts)",
                registered.Model!.Name, registered.Version, registered.JobId, tenantId, registered.Artifacts.Count);
        else
            logger.LogInformation("Job {JobId} of tenant {TenantId} registered {Model} version {Version} before, with the same model bytes; returning it",
                registered.JobId, tenantId, registered.Model!.Name, registered.Version);
        return registered.ToProto();
    }

    private static ArtifactStream.Part Part(RegisterModelVersionRequest message) => message.ContentCase switch
    {
        RegisterModelVersionRequest.ContentOneofCase.Artifact => new(message.Artifact, null),
        RegisterModelVersionRequest.ContentOneofCase.Chunk => new(null, message.Chunk),
        _ => default,
    };
}
