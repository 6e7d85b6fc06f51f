using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Models;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.ModelStore.Grpc;

/// <summary>The public <c>ModelService</c>: registered models, their versions and artifact downloads, per tenant.</summary>
public sealed class ModelGrpcService(ModelStoreDbContext db, ModelVersionCatalog catalog, BlobStore blobs)
    : ModelService.ModelServiceBase
{
    /// <summary>The artifact a download returns when the request names none.</summary>
    public const string DefaultArtifact = "model";

    /// <inheritdoc />
    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var pageSize = Paging.Size(request.PageSize);

        // A model row exists from its first registration attempt on; it is listed once a version committed.
        var query = db.Models.AsNoTracking().Where(m => m.TenantId == tenantId && m.LatestVersion > 0);
        if (Paging.Position(request.PageToken) is { } after)
            query = query.Where(m => string.Compare(m.Name, after) > 0);
        var page = await query.OrderBy(m => m.Name).Take(pageSize + 1).ToListAsync(context.CancellationToken);

        var response = new ListModelsResponse { Models = { page.Take(pageSize).Select(m => m.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = Paging.Token(page[pageSize - 1].Name);
        return response;
    }

    /// <inheritdoc />
    public override async Task<ListModelVersionsResponse> ListModelVersions(
        ListModelVersionsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var pageSize = Paging.Size(request.PageSize);
        var model = await catalog.GetModelAsync(tenantId, name, context.CancellationToken);

        var query = catalog.Versions().Where(v => v.TenantId == tenantId && v.ModelId == model.Id);
        if (Paging.Position(request.PageToken) is { } position)
        {
            if (!int.TryParse(position, out var before)) throw Paging.Invalid();
            query = query.Where(v => v.Version < before);
        }
        var page = await query
            .OrderByDescending(v => v.Version)
            .Take(pageSize + 1)
            .ToListAsync(context.CancellationToken);

        var response = new ListModelVersionsResponse { Versions = { page.Take(pageSize).Select(v => v.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = Paging.Token(page[pageSize - 1].Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> GetModelVersion(GetModelVersionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var version = await FindVersionAsync(Tenant.From(context), request.ModelName, request.Version, context.CancellationToken);
        return version.ToProto();
    }

    /// <inheritdoc />
    public override async Task DownloadModelVersion(
        DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        var cancellationToken = context.CancellationToken;
        var version = await FindVersionAsync(Tenant.From(context), request.ModelName, request.Version, cancellationToken);
        var kind = string.IsNullOrEmpty(request.Artifact) ? DefaultArtifact : request.Artifact;
        var artifact = version.Artifacts.SingleOrDefault(a => a.Kind == kind)
                       ?? throw new NotFoundException("artifact", $"{version.Model!.Name}:{version.Version}/{kind}");

        // The first message says what is coming (and its SHA-256), even for an empty file.
        var first = new ArtifactChunk { Artifact = artifact.ToProto() };
        var owner = $"artifact '{kind}' of model version '{version.Model!.Name}:{version.Version}'";
        await foreach (var chunk in blobs.ReadAsync(artifact.Sha256, owner, cancellationToken))
        {
            var message = first ?? new ArtifactChunk();
            message.Data = ByteString.CopyFrom(chunk.Span);
            await responseStream.WriteAsync(message);
            first = null;
        }
        if (first is not null)
            await responseStream.WriteAsync(first);
    }

    private Task<ModelVersionRecord> FindVersionAsync(string tenantId, string modelName, int version, CancellationToken cancellationToken)
    {
        var name = ModelNames.Validate(modelName, "model_name");
        if (version < 0)
            throw new InvalidArgumentException("version", $"{version} is negative (0 means the latest)");
        return catalog.GetVersionAsync(tenantId, name, version, cancellationToken);
    }
}
