using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Erasure;
using Platform.ModelStore.ModelCards;
using Platform.ModelStore.Models;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Contracts;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// The public <c>ModelService</c>: registered models and their versions (listing, search, references, downloads,
/// uploads), tags, approval, aliases, deletion, retention policies and data-subject erasure, per tenant. Each method
/// checks its request and hands the work to the domain classes in Models/ and Erasure/.
/// </summary>
public sealed class ModelGrpcService(
    ModelStoreDbContext db,
    ModelVersionCatalog catalog,
    ModelAliases aliases,
    ModelVersionDeletion deletion,
    DatasetErasure erasure,
    ModelCardStore cards,
    VersionComparison comparison,
    BlobStore blobs,
    IOptions<ModelStoreOptions> options,
    ILogger<ModelGrpcService> logger)
    : ModelService.ModelServiceBase
{
    /// <summary>The artifact a download returns when the request names none.</summary>
    public const string DefaultArtifact = ArtifactDeclaration.ModelKind;

    /// <summary>Most versions a retention policy may keep.</summary>
    public const int MaxKeepLastVersions = 100_000;

    /// <inheritdoc />
    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var pageSize = Paging.Size(request.PageSize);

        var query = catalog.ModelsWithVersions(tenantId);
        if (!string.IsNullOrEmpty(request.NamePrefix))
        {
            var prefix = TextRules.Validate(request.NamePrefix, "name_prefix", ModelNames.MaxLength);
            // Not StartsWith: SQLite turns it into LIKE, which ignores case.
            query = query.Where(m => m.Name.Substring(0, prefix.Length) == prefix);
        }
        if (Paging.Position(request.PageToken) is { } after)
            query = query.Where(m => string.Compare(m.Name, after) > 0);
        var page = await ModelVersionCatalog.WithLatest(query.OrderBy(m => m.Name).Take(pageSize + 1))
            .ToListAsync(context.CancellationToken);

        var response = new ListModelsResponse { Models = { page.Take(pageSize).Select(m => m.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = Paging.Token(page[pageSize - 1].Model.Name);
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
            if (!int.TryParse(position, CultureInfo.InvariantCulture, out var before)) throw Paging.Invalid();
            query = query.Where(v => v.Version < before);
        }
        var page = await catalog.LoadAsync(query.OrderByDescending(v => v.Version).Take(pageSize + 1), context.CancellationToken);

        var response = new ListModelVersionsResponse { Versions = { page.Take(pageSize).Select(v => v.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = Paging.Token(page[pageSize - 1].Version.ToString(CultureInfo.InvariantCulture));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ModelVersionComparison> CompareModelVersions(CompareModelVersionsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var references = VersionComparison.ParseReferences(request.References);
        var versions = await comparison.LoadAsync(Tenant.From(context), references, context.CancellationToken);
        return versions.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> GetModelVersion(GetModelVersionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var version = await FindVersionAsync(Tenant.From(context), request.ModelName, request.Version, request.Alias, context.CancellationToken);
        return version.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> ResolveModel(ResolveModelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reference = ModelReference.Parse(request.Reference);
        var version = await catalog.ResolveAsync(Tenant.From(context), reference, context.CancellationToken);
        return version.ToProto();
    }

    /// <inheritdoc />
    public override async Task DownloadModelVersion(
        DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        var cancellationToken = context.CancellationToken;
        var version = await FindVersionAsync(Tenant.From(context), request.ModelName, request.Version, request.Alias, cancellationToken);
        var kind = string.IsNullOrEmpty(request.Artifact) ? DefaultArtifact : request.Artifact;
        var artifact = version.Artifacts.SingleOrDefault(a => a.Kind == kind)
                       ?? throw new NotFoundException("artifact", $"{version.Model!.Name}:{version.Version}/{kind}");

        // The first message says what is coming (and its SHA-256), even for an empty file.
        var first = new ArtifactChunk { Artifact = artifact.ToProto() };
        var owner = $"artifact {Echo.Quote(kind)} of model version '{version.Model!.Name}:{version.Version}'";
        await foreach (var chunk in blobs.ReadAsync(artifact.Sha256, owner, cancellationToken))
        {
            var message = first ?? new ArtifactChunk();
            // Wrapped, not copied: the writer has serialized the message when WriteAsync completes, and only then
            // does the blob store reuse the buffer (for the chunk after next).
            message.Data = UnsafeByteOperations.UnsafeWrap(chunk);
            await responseStream.WriteAsync(message);
            first = null;
        }
        if (first is not null)
            await responseStream.WriteAsync(first);
    }

    /// <inheritdoc />
    public override async Task<SearchModelVersionsResponse> SearchModelVersions(SearchModelVersionsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var pageSize = Paging.Size(request.PageSize);
        var search = new ModelVersionSearch
        {
            ModelName = string.IsNullOrEmpty(request.ModelName) ? null : ModelNames.Validate(request.ModelName, "model_name"),
            ModelNamePrefix = string.IsNullOrEmpty(request.ModelNamePrefix)
                ? null
                : TextRules.Validate(request.ModelNamePrefix, "model_name_prefix", ModelNames.MaxLength),
            Tags = request.Tags.ToDictionary(
                t => Models.Tags.ValidateKey(t.Key, "tags"), t => Models.Tags.ValidateValue(t.Value, $"tags[{t.Key}]"), StringComparer.Ordinal),
            TagKeys = request.TagKeys.Select(k => Models.Tags.ValidateKey(k, "tag_keys")).ToList(),
            Metrics = request.Metrics.Select((m, i) => MetricRange(m, $"metrics[{i}]")).ToList(),
            DatasetId = string.IsNullOrEmpty(request.DatasetId) ? null : DatasetId(request.DatasetId),
            CreatedAfter = request.CreatedAfter?.ToDateTimeOffset(),
            CreatedBefore = request.CreatedBefore?.ToDateTimeOffset(),
            Approval = request.ApprovalStatus.FromProto(),
            After = Paging.Position(request.PageToken) is { } position ? ParseTimePosition(position) : null,
        };
        var page = await catalog.LoadAsync(search.Apply(catalog.Versions(), tenantId).Take(pageSize + 1), context.CancellationToken);
        var response = new SearchModelVersionsResponse { Versions = { page.Take(pageSize).Select(v => v.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = TimePositionToken(page[pageSize - 1].CreatedAt, page[pageSize - 1].Id);
        return response;
    }

    /// <inheritdoc />
    public override async Task<ListVersionsTrainedOnResponse> ListVersionsTrainedOn(ListVersionsTrainedOnRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var datasetId = DatasetId(request.DatasetId);
        var pageSize = Paging.Size(request.PageSize);
        if (!await db.Datasets.AnyAsync(d => d.TenantId == tenantId && d.Id == datasetId, context.CancellationToken))
            throw new NotFoundException("dataset", request.DatasetId);
        var search = new ModelVersionSearch
        {
            DatasetId = datasetId,
            After = Paging.Position(request.PageToken) is { } position ? ParseTimePosition(position) : null,
        };
        var page = await catalog.LoadAsync(search.Apply(catalog.Versions(), tenantId).Take(pageSize + 1), context.CancellationToken);
        var response = new ListVersionsTrainedOnResponse { Versions = { page.Take(pageSize).Select(v => v.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = TimePositionToken(page[pageSize - 1].CreatedAt, page[pageSize - 1].Id);
        return response;
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> UploadModelVersion(
        IAsyncStreamReader<UploadModelVersionRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        var tenantId = Tenant.From(context);
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken)
            || requestStream.Current.ContentCase != UploadModelVersionRequest.ContentOneofCase.Version)
            throw new InvalidArgumentException("version", "the first message of an upload must be the version (model name, task, …)");
        var version = requestStream.Current.Version;
        var result = await ArtifactStream.RegisterAsync(requestStream, UploadPart, () => ModelVersionRegistration.FromUpload(version),
            catalog, blobs, tenantId, options.Value.MaxArtifactBytes, cancellationToken);
        if (result.Created)
            logger.LogInformation("Uploaded {Model} version {Version} for tenant {TenantId} ({Artifacts} artifacts)",
                version.ModelName, result.Version.Version, tenantId, result.Version.Artifacts.Count);
        else
            logger.LogInformation("Upload to {Model} for tenant {TenantId} has the bytes of version {Version}; returning it",
                version.ModelName, tenantId, result.Version.Version);
        return result.Version.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> SetModelVersionTags(SetModelVersionTagsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var version = VersionNumber(request.Version);
        var set = request.Set.ToDictionary(
            t => Models.Tags.ValidateKey(t.Key, "set"), t => Models.Tags.ValidateValue(t.Value, $"set[{t.Key}]"), StringComparer.Ordinal);
        var remove = request.Remove.Select(k => Models.Tags.ValidateKey(k, "remove")).ToHashSet(StringComparer.Ordinal);
        if (set.Keys.FirstOrDefault(remove.Contains) is { } both)
            throw new InvalidArgumentException("remove", $"{Echo.Quote(both)} is both set and removed");
        var record = await catalog.SetTagsAsync(Tenant.From(context), name, version, set, remove, context.CancellationToken);
        return record.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelVersion> SetModelVersionApproval(SetModelVersionApprovalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var version = VersionNumber(request.Version);
        var status = request.Status.FromProto()
                     ?? throw new InvalidArgumentException("status", "is required (APPROVAL_STATUS_PENDING, _APPROVED or _REJECTED)");
        var actor = Actors.Validate(request.Actor);
        var comment = TextRules.Validate(request.Comment, "comment", ModelVersionRegistration.MaxDescriptionLength, multiline: true);
        var record = await catalog.SetApprovalAsync(Tenant.From(context), name, version, status, actor, comment, context.CancellationToken);
        logger.LogInformation("{Actor} set {Model}:{Version} to {Status}", actor, name, version, status);
        return record.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelAlias> SetModelAlias(SetModelAliasRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var alias = AliasNames.Validate(request.Alias, "alias");
        if (request.Version < 0)
            throw new InvalidArgumentException("version", $"{request.Version} is negative");
        Guid? versionId = null;
        if (!string.IsNullOrEmpty(request.VersionId))
            versionId = Guid.TryParse(request.VersionId, out var id)
                ? id
                : throw new InvalidArgumentException("version_id", $"{Echo.Quote(request.VersionId)} is not a version id");
        var actor = Actors.Validate(request.Actor);
        var state = await aliases.SetAsync(Tenant.From(context), name, alias, request.Version, versionId, actor, context.CancellationToken);
        if (state.PreviousVersion != state.Version)
            logger.LogInformation("{Actor} moved {Model}@{Alias} from {Previous} to {Version}", actor, name, alias, state.PreviousVersion, state.Version);
        return state.ToProto();
    }

    /// <inheritdoc />
    public override async Task<DeleteModelAliasResponse> DeleteModelAlias(DeleteModelAliasRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var alias = AliasNames.Validate(request.Alias, "alias");
        var actor = Actors.Validate(request.Actor);
        var previous = await aliases.RemoveAsync(Tenant.From(context), name, alias, actor, context.CancellationToken);
        logger.LogInformation("{Actor} removed {Model}@{Alias} (was version {Version})", actor, name, alias, previous);
        return new DeleteModelAliasResponse { PreviousVersion = previous };
    }

    /// <inheritdoc />
    public override async Task<ListModelAliasesResponse> ListModelAliases(ListModelAliasesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var list = await aliases.ListAsync(Tenant.From(context), name, context.CancellationToken);
        return new ListModelAliasesResponse { Aliases = { list.Select(a => a.ToProto()) } };
    }

    /// <inheritdoc />
    public override async Task<DeleteModelVersionResponse> DeleteModelVersion(DeleteModelVersionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        var version = VersionNumber(request.Version);
        var actor = Actors.Validate(request.Actor);
        // Once the rows go, the call completes even if the client leaves: the blobs must follow.
        var (count, bytes) = await deletion.DeleteAsync(tenantId, name, version, actor, context.CancellationToken);
        logger.LogInformation("{Actor} deleted {Model}:{Version} of tenant {TenantId} ({Blobs} blobs, {Bytes} bytes freed)",
            actor, name, version, tenantId, count, bytes);
        return new DeleteModelVersionResponse { BlobsDeleted = count, BytesFreed = bytes };
    }

    /// <inheritdoc />
    public override async Task<Model> SetRetentionPolicy(SetRetentionPolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ModelNames.Validate(request.ModelName, "model_name");
        if (request.KeepLastVersions is < 0 or > MaxKeepLastVersions)
            throw new InvalidArgumentException("keep_last_versions", $"{request.KeepLastVersions} is not between 0 (keep all) and {MaxKeepLastVersions}");
        var model = await catalog.SetRetentionAsync(Tenant.From(context), name, request.KeepLastVersions, context.CancellationToken);
        return model.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ErasureRecord> EraseDataset(EraseDatasetRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var datasetId = DatasetId(request.DatasetId);
        var actor = Actors.Validate(request.Actor);
        var reference = TextRules.Validate(request.RequestReference, "request_reference", DatasetErasure.MaxRequestReferenceLength);
        var record = await erasure.EraseAsync(Tenant.From(context), datasetId, request.Cascade, actor, reference, context.CancellationToken);
        return record.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ListErasureRecordsResponse> ListErasureRecords(ListErasureRecordsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var pageSize = Paging.Size(request.PageSize);
        var query = db.DatasetErasures.AsNoTracking().Where(e => e.TenantId == tenantId);
        if (Paging.Position(request.PageToken) is { } position)
        {
            var (erasedAt, id) = ParseTimePosition(position);
            query = query.Where(e => e.ErasedAt < erasedAt || (e.ErasedAt == erasedAt && e.Id.CompareTo(id) < 0));
        }
        var page = await query.OrderByDescending(e => e.ErasedAt).ThenByDescending(e => e.Id).Take(pageSize + 1).ToListAsync(context.CancellationToken);
        var response = new ListErasureRecordsResponse { Records = { page.Take(pageSize).Select(e => e.ToProto()) } };
        if (page.Count > pageSize)
            response.NextPageToken = TimePositionToken(page[pageSize - 1].ErasedAt, page[pageSize - 1].Id);
        return response;
    }

    private Task<ModelVersionRecord> FindVersionAsync(
        string tenantId, string modelName, int version, string alias, CancellationToken cancellationToken)
    {
        var name = ModelNames.Validate(modelName, "model_name");
        if (version < 0)
            throw new InvalidArgumentException("version", $"{version} is negative (0 means the latest)");
        if (string.IsNullOrEmpty(alias))
            return catalog.GetVersionAsync(tenantId, name, version, cancellationToken);
        if (version != 0)
            throw new InvalidArgumentException("alias", "give a version or an alias, not both");
        // "latest" is accepted here as in references: it names the newest version.
        if (alias == AliasNames.Latest)
            return catalog.GetVersionAsync(tenantId, name, 0, cancellationToken);
        if (!AliasNames.IsWellFormed(alias))
            throw new InvalidArgumentException("alias", $"{Echo.Quote(alias)} is not a valid alias (1-{AliasNames.MaxLength} of a-z, 0-9, '-' or '_', starting with a letter)");
        return catalog.GetVersionByAliasAsync(tenantId, name, alias, cancellationToken);
    }

    private static int VersionNumber(int version, string field = "version") =>
        version >= 1 ? version : throw new InvalidArgumentException(field, $"{version} is not a version number (1 or more)");

    private static Guid DatasetId(string value, string field = "dataset_id") =>
        Guid.TryParse(value, out var id) ? id : throw new InvalidArgumentException(field, $"{Echo.Quote(value)} is not a data set id");

    private static MetricRange MetricRange(MetricFilter filter, string field)
    {
        var name = string.IsNullOrWhiteSpace(filter.Name)
            ? throw new InvalidArgumentException($"{field}.name", "is required")
            : TextRules.Validate(filter.Name, $"{field}.name", ModelVersionRegistration.MaxShortTextLength);
        double? min = filter.HasMin ? filter.Min : null;
        double? max = filter.HasMax ? filter.Max : null;
        if (min is { } low && !double.IsFinite(low)) throw new InvalidArgumentException($"{field}.min", $"{low} is not a finite number");
        if (max is { } high && !double.IsFinite(high)) throw new InvalidArgumentException($"{field}.max", $"{high} is not a finite number");
        if (min > max) throw new InvalidArgumentException(field, $"min {min} is greater than max {max}");
        return new MetricRange(name, min, max);
    }

    private static ArtifactStream.Part UploadPart(UploadModelVersionRequest message) => message.ContentCase switch
    {
        UploadModelVersionRequest.ContentOneofCase.Artifact => new(message.Artifact, null),
        UploadModelVersionRequest.ContentOneofCase.Chunk => new(null, message.Chunk),
        _ => default,
    };

    private static string TimePositionToken(DateTimeOffset at, Guid id) =>
        Paging.Token($"{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}/{id:N}");

    private static (DateTimeOffset At, Guid Id) ParseTimePosition(string position)
    {
        var parts = position.Split('/');
        if (parts.Length == 2
            && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var ticks) && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && Guid.TryParseExact(parts[1], "N", out var id))
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        throw Paging.Invalid();
    }

    /// <inheritdoc />
    public override async Task<ModelCard> GetModelCard(GetModelCardRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var card = await cards.GetAsync(Tenant.From(context), ModelReference.Parse(request.Reference), context.CancellationToken);
        return card.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ModelCardFields> UpdateModelCard(UpdateModelCardRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reference = ModelReference.Parse(request.Reference);
        string? intendedUse = request.HasIntendedUse
            ? TextRules.Validate(request.IntendedUse, "intended_use", ModelCardStore.MaxFieldLength, multiline: true) : null;
        string? limitations = request.HasLimitations
            ? TextRules.Validate(request.Limitations, "limitations", ModelCardStore.MaxFieldLength, multiline: true) : null;
        string? privacy = request.HasPrivacy
            ? TextRules.Validate(request.Privacy, "privacy", ModelCardStore.MaxFieldLength, multiline: true) : null;
        if (intendedUse is null && limitations is null && privacy is null)
            throw new InvalidArgumentException("intended_use", "set intended_use, limitations, privacy or several (an empty text clears a field)");
        var actor = Actors.Validate(request.Actor);
        var fields = await cards.UpdateAsync(Tenant.From(context), reference, intendedUse, limitations, privacy, actor, context.CancellationToken);
        return fields.ToProto();
    }
}
