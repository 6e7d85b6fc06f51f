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
/// version committed. A mismatch, a malformed stream or a call cut short leaves nothing behind.
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
        var registration = ModelVersionRegistration.FromJob(requestStream.Current.Version);

        if (await catalog.FindByJobAsync(tenantId, registration.JobId!, cancellationToken) is { } registered)
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
            await ArtifactStream.ReceiveAsync(requestStream, Part, blobs, tenantId, options.Value.MaxArtifactBytes, artifacts, cancellationToken);
            // Every artifact checked: from here on the client going away must not leave half a version, so
            // cancellation no longer applies.
            var result = await catalog.RegisterAsync(tenantId, registration, artifacts, CancellationToken.None);
            logger.LogInformation("Registered {Model} version {Version} for job {JobId} of tenant {TenantId} ({Artifacts} artifacts)",
                registration.ModelName, result.Version.Version, registration.JobId, tenantId, artifacts.Count);
            return result.Version.ToProto();
        }
        finally
        {
            await ArtifactStream.DiscardAsync(artifacts);
        }
    }

    private static ArtifactStream.Part Part(RegisterModelVersionRequest message) => message.ContentCase switch
    {
        RegisterModelVersionRequest.ContentOneofCase.Artifact => new(message.Artifact, null),
        RegisterModelVersionRequest.ContentOneofCase.Chunk => new(null, message.Chunk),
        _ => default,
    };
}
