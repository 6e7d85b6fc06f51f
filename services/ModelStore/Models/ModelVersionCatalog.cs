using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Erasure;
using Platform.ModelStore.Events;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>An artifact whose bytes arrived, were checked against their declaration and wait in a temp file.</summary>
public sealed record ReceivedArtifact(ArtifactDeclaration Declaration, BlobUpload Upload);

/// <summary>What a registration or upload led to: a new version, or one that existed already (same job, same bytes).</summary>
public sealed record RegistrationResult(ModelVersionRecord Version, bool Created);

/// <summary>
/// Registered models and their versions of one tenant at a time: numbering, idempotent registration per training job
/// and per uploaded bytes, lookups by number, alias and reference, tags and approval. Every query filters on the tenant.
/// <para>
/// Every change to a model's versions or aliases runs in one transaction that first locks the model's row
/// (<see cref="ChangeAsync{T}"/>), so changes to one model queue behind each other and each sees the previous one's result.
/// Lock order, everywhere: data set, then model row, then blobs.
/// </para>
/// </summary>
public sealed class ModelVersionCatalog(ModelStoreDbContext db, RegistryOutbox outbox, TimeProvider time)
{
    /// <summary>The version a training job registered, if it did.</summary>
    public Task<ModelVersionRecord?> FindByJobAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        VersionDetails().SingleOrDefaultAsync(v => v.TenantId == tenantId && v.JobId == jobId, cancellationToken);

    /// <summary>
    /// Records a new version of <see cref="ModelVersionRegistration.ModelName"/> with the next number (1, 2, 3… per
    /// model): moves the artifacts' checked bytes into the blob store, then commits the rows and the
    /// <see cref="ModelVersionRegistered"/> event in one transaction. Nothing is written when the job has registered a
    /// version with the same "model" bytes before (a retried registration), or when an upload's "model" bytes are already
    /// a version of the model: that version is returned.
    /// </summary>
    /// <exception cref="NotFoundException">An upload names a data set the tenant does not have.</exception>
    /// <exception cref="AlreadyExistsException">The job registered a version whose model has other bytes: a job registers one model.</exception>
    /// <exception cref="FailedPreconditionException">The data set was erased.</exception>
    public async Task<RegistrationResult> RegisterAsync(
        string tenantId, ModelVersionRegistration registration, IReadOnlyList<ReceivedArtifact> artifacts,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(artifacts);
        var modelSha256 = artifacts.Single(a => a.Declaration.Kind == ArtifactDeclaration.ModelKind).Declaration.Sha256;
        if (registration is { Source: ModelVersionSource.Upload, DatasetId: { } uploadDataset })
            registration = await WithDatasetChecksumAsync(tenantId, registration, uploadDataset, cancellationToken);

        // PostgreSQL runs with retry on transient failures: a transaction must run inside the strategy.
        var strategy = db.Database.CreateExecutionStrategy();
        var result = await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            if (registration.JobId is { } jobId && await FindByJobAsync(tenantId, jobId, ct) is { } registered)
                return SameModel(registered, jobId, modelSha256);

            var model = await GetOrAddModelAsync(tenantId, registration.ModelName, ct);
            var now = Now();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (registration.DatasetId is { } datasetId)
            {
                // Shared with other registrations, exclusive with an erasure of the data set: checked under the lock,
                // "not erased" stays true until this version commits, and the erasure then finds it.
                await DatasetLocks.AcquireSharedAsync(db, datasetId, ct);
                if (await db.DatasetErasures.AnyAsync(e => e.TenantId == tenantId && e.DatasetId == datasetId, ct))
                    throw new FailedPreconditionException(
                        $"data set {Echo.Quote(datasetId)} was erased (data-subject erasure); a model trained on it cannot be registered");
            }

            // Allocating the number: the increment locks the model row (PostgreSQL; SQLite locks the whole database)
            // until this transaction ends, so concurrent registrations of one model queue here and each reads the
            // number the previous one left. A rollback undoes the increment.
            await db.Models
                .Where(m => m.Id == model.Id)
                .ExecuteUpdateAsync(m => m
                    .SetProperty(x => x.LatestVersion, x => x.LatestVersion + 1)
                    .SetProperty(x => x.UpdatedAt, now), ct);
            if (registration.Source == ModelVersionSource.Upload
                && await FindByModelBytesAsync(tenantId, model.Id, modelSha256, ct) is { } existing)
            {
                await transaction.RollbackAsync(ct);
                return new RegistrationResult(existing, false);
            }
            var number = await db.Models.Where(m => m.Id == model.Id).Select(m => m.LatestVersion).SingleAsync(ct);

            // The bytes go into place under their blob locks, inside this transaction: a concurrent delete of the same
            // bytes either ran before (and the file is written afresh) or waits until this row is committed.
            await BlobLocks.AcquireAsync(db, artifacts.Select(a => a.Declaration.Sha256), ct);
            foreach (var artifact in artifacts)
                await artifact.Upload.CommitAsync(CancellationToken.None);

            var version = NewVersion(tenantId, model.Id, number, registration, artifacts, now);
            db.ModelVersions.Add(version);
            outbox.Add(db, tenantId, new ModelVersionRegistered
            {
                VersionId = version.Id,
                TenantId = tenantId,
                ModelName = model.Name,
                Version = number,
                Source = registration.Source == ModelVersionSource.Upload ? "upload" : "training_job",
                JobId = registration.JobId,
                DatasetId = registration.DatasetId,
                ModelSha256 = modelSha256,
                Metrics = registration.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(),
                At = now,
            });
            try
            {
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
            catch (DbUpdateException) when (registration.JobId is not null)
            {
                // The same job registering twice at once: the unique (tenant_id, job_id) index let one through.
                await transaction.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (await FindByJobAsync(tenantId, registration.JobId, ct) is { } winner)
                    return SameModel(winner, registration.JobId, modelSha256);
                throw;
            }
            // Detached before the model (read without tracking) is attached for mapping, so no later save sees it as new.
            db.ChangeTracker.Clear();
            version.Model = model;
            return new RegistrationResult(version, true);
        }, cancellationToken);
        if (result.Created) outbox.Committed();
        return result;
    }

    /// <summary>
    /// The version a job registered before, returned for a retry of its registration only when it holds the same model
    /// bytes: a job's version is what the job trained, never what a later caller sent under its id.
    /// </summary>
    private static RegistrationResult SameModel(ModelVersionRecord registered, string jobId, string modelSha256)
    {
        var registeredSha256 = registered.Artifacts.SingleOrDefault(a => a.Kind == ArtifactDeclaration.ModelKind)?.Sha256;
        if (registeredSha256 == modelSha256) return new RegistrationResult(registered, false);
        throw new AlreadyExistsException(
            $"training job {Echo.Quote(jobId)} registered {registered.Model!.Name}:{registered.Version} with model sha256 {registeredSha256 ?? "(none)"}; " +
            $"this registration's model has sha256 {modelSha256}, so it is refused (a job registers one model) and nothing was stored");
    }

    /// <summary>
    /// Runs <paramref name="change"/> on a model of the tenant in one transaction, after locking the model's row, then
    /// saves the tracked changes (and any outbox events) and commits. The transaction retries as a whole on a transient
    /// database failure, so <paramref name="change"/> must only touch the database.
    /// </summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    public async Task<T> ChangeAsync<T>(
        string tenantId, string modelName, Func<ModelRecord, CancellationToken, Task<T>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var strategy = db.Database.CreateExecutionStrategy();
        var result = await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            var model = await GetModelAsync(tenantId, modelName, ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await LockModelAsync(model.Id, ct);
            var value = await change(model, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return value;
        }, cancellationToken);
        outbox.Committed();
        return result;
    }

    /// <summary>Locks a model's row until the current transaction ends (and marks the model as changed).</summary>
    public Task LockModelAsync(Guid modelId, CancellationToken cancellationToken)
    {
        var now = Now();
        return db.Models.Where(m => m.Id == modelId).ExecuteUpdateAsync(m => m.SetProperty(x => x.UpdatedAt, now), cancellationToken);
    }

    /// <summary>A model of the tenant that has had at least one version.</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    public async Task<ModelRecord> GetModelAsync(string tenantId, string modelName, CancellationToken cancellationToken) =>
        await db.Models.AsNoTracking()
            .SingleOrDefaultAsync(m => m.TenantId == tenantId && m.Name == modelName && m.LatestVersion > 0, cancellationToken)
        ?? throw new NotFoundException("model", modelName);

    /// <summary>One version of a model, with its artifacts, tags and aliases; <paramref name="version"/> 0 means the latest.</summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    public async Task<ModelVersionRecord> GetVersionAsync(
        string tenantId, string modelName, int version, CancellationToken cancellationToken)
    {
        // One query for the common case (it exists); only a miss asks which part was missing.
        var query = VersionDetails().Where(v => v.TenantId == tenantId && v.Model!.Name == modelName);
        var found = version == 0
            ? await query.OrderByDescending(v => v.Version).FirstOrDefaultAsync(cancellationToken)
            : await query.SingleOrDefaultAsync(v => v.Version == version, cancellationToken);
        if (found is not null) return found;
        await GetModelAsync(tenantId, modelName, cancellationToken);
        throw new NotFoundException("model version", version == 0 ? $"{modelName}:latest" : $"{modelName}:{version}");
    }

    /// <summary>The version an alias of a model points at.</summary>
    /// <exception cref="NotFoundException">No such model or alias.</exception>
    public async Task<ModelVersionRecord> GetVersionByAliasAsync(
        string tenantId, string modelName, string alias, CancellationToken cancellationToken)
    {
        // Through the alias's unique (model_id, name) index, never a scan of the model's versions.
        var versionId = await db.ModelAliases.AsNoTracking()
            .Where(a => a.TenantId == tenantId && a.Name == alias
                        && db.Models.Any(m => m.Id == a.ModelId && m.TenantId == tenantId && m.Name == modelName))
            .Select(a => (Guid?)a.ModelVersionId)
            .SingleOrDefaultAsync(cancellationToken);
        if (versionId is { } id && await VersionDetails().SingleOrDefaultAsync(v => v.Id == id, cancellationToken) is { } found)
            return found;
        await GetModelAsync(tenantId, modelName, cancellationToken);
        throw new NotFoundException("alias", $"{modelName}@{alias}");
    }

    /// <summary>The version a reference names (<c>penguins</c>, <c>penguins:3</c>, <c>penguins@production</c>).</summary>
    /// <exception cref="NotFoundException">No such model, version or alias.</exception>
    public Task<ModelVersionRecord> ResolveAsync(string tenantId, ModelReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.Alias is { } alias
            ? GetVersionByAliasAsync(tenantId, reference.ModelName, alias, cancellationToken)
            : GetVersionAsync(tenantId, reference.ModelName, reference.Version ?? 0, cancellationToken);
    }

    /// <summary>Sets and removes tags of a version (at most <see cref="Tags.MaxPerVersion"/> remain).</summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    /// <exception cref="InvalidArgumentException">Too many tags would remain.</exception>
    public async Task<ModelVersionRecord> SetTagsAsync(
        string tenantId, string modelName, int version, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> remove,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(remove);
        await ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            var record = await TrackedVersionAsync(model, version, ct);
            record.Tags.RemoveAll(t => remove.Contains(t.Key));
            foreach (var (key, value) in set)
            {
                if (record.Tags.Find(t => t.Key == key) is { } tag)
                    tag.Value = value;
                else
                    record.Tags.Add(new ModelVersionTagRecord { ModelVersionId = record.Id, TenantId = tenantId, Key = key, Value = value });
            }
            if (record.Tags.Count > Tags.MaxPerVersion)
                throw new InvalidArgumentException("set", $"the version would have {record.Tags.Count} tags; at most {Tags.MaxPerVersion}");
            return true;
        }, cancellationToken);
        return await GetVersionAsync(tenantId, modelName, version, cancellationToken);
    }

    /// <summary>Records an approval decision on a version: the status, who decided (as given), when, and why.</summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    public async Task<ModelVersionRecord> SetApprovalAsync(
        string tenantId, string modelName, int version, ApprovalStatus status, string actor, string comment,
        CancellationToken cancellationToken)
    {
        await ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            var record = await TrackedVersionAsync(model, version, ct);
            record.ApprovalStatus = status;
            record.ApprovalActor = actor;
            record.ApprovalDecidedAt = Now();
            record.ApprovalComment = comment;
            return true;
        }, cancellationToken);
        return await GetVersionAsync(tenantId, modelName, version, cancellationToken);
    }

    /// <summary>Sets how many newest versions the retention sweep keeps (0: all).</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    public async Task<ModelWithLatest> SetRetentionAsync(
        string tenantId, string modelName, int keepLastVersions, CancellationToken cancellationToken)
    {
        await ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            await db.Models.Where(m => m.Id == model.Id).ExecuteUpdateAsync(m => m.SetProperty(x => x.KeepLastVersions, keepLastVersions), ct);
            return true;
        }, cancellationToken);
        return await WithLatest(db.Models.AsNoTracking().Where(m => m.TenantId == tenantId && m.Name == modelName))
            .SingleAsync(cancellationToken);
    }

    /// <summary>The tenant's models that have versions, each with its newest version number.</summary>
    public IQueryable<ModelRecord> ModelsWithVersions(string tenantId) =>
        db.Models.AsNoTracking().Where(m => m.TenantId == tenantId && m.Versions.Any());

    /// <summary>Pairs each model with the number of its newest version (0 when it has none left).</summary>
    public static IQueryable<ModelWithLatest> WithLatest(IQueryable<ModelRecord> models) =>
        models.Select(m => new ModelWithLatest(m, m.Versions.Max(v => (int?)v.Version) ?? 0));

    /// <summary>Versions with their model, read-only; <see cref="LoadAsync"/> runs such a query with the versions' collections.</summary>
    public IQueryable<ModelVersionRecord> Versions() => db.ModelVersions.AsNoTracking().Include(v => v.Model);

    /// <summary>
    /// Versions with their model, artifacts, tags and aliases in one query, read-only: for looking up one version (the
    /// rows multiply per version by artifacts × tags × aliases, few for one version, too many for a page).
    /// </summary>
    public IQueryable<ModelVersionRecord> VersionDetails() =>
        Versions().Include(v => v.Artifacts).Include(v => v.Tags).Include(v => v.Aliases).AsSingleQuery();

    /// <summary>
    /// Runs a query of <see cref="Versions"/> (a page) and loads the artifacts, tags and aliases of the versions it
    /// returns: one query for the page, then one per collection by version id, so the page's filters run once.
    /// </summary>
    public async Task<List<ModelVersionRecord>> LoadAsync(IQueryable<ModelVersionRecord> page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var versions = await page.ToListAsync(cancellationToken);
        if (versions.Count == 0) return versions;
        var byId = versions.ToDictionary(v => v.Id);
        var ids = byId.Keys.ToList();
        foreach (var artifact in await db.Artifacts.AsNoTracking().Where(a => ids.Contains(a.ModelVersionId)).ToListAsync(cancellationToken))
            byId[artifact.ModelVersionId].Artifacts.Add(artifact);
        foreach (var tag in await db.ModelVersionTags.AsNoTracking().Where(t => ids.Contains(t.ModelVersionId)).ToListAsync(cancellationToken))
            byId[tag.ModelVersionId].Tags.Add(tag);
        foreach (var alias in await db.ModelAliases.AsNoTracking().Where(a => ids.Contains(a.ModelVersionId)).ToListAsync(cancellationToken))
            byId[alias.ModelVersionId].Aliases.Add(alias);
        return versions;
    }

    /// <summary>A version of <paramref name="model"/>, tracked, with everything deleting it has to remove (its Model is not loaded).</summary>
    /// <exception cref="NotFoundException">No such version.</exception>
    public async Task<ModelVersionRecord> TrackedVersionAsync(ModelRecord model, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var record = await TrackedVersions()
                         .SingleOrDefaultAsync(v => v.ModelId == model.Id && v.Version == version, cancellationToken)
                     ?? throw new NotFoundException("model version", $"{model.Name}:{version}");
        return record;
    }

    /// <summary>Versions, tracked, with their artifacts, tags, metric rows and aliases.</summary>
    public IQueryable<ModelVersionRecord> TrackedVersions() =>
        db.ModelVersions
            .Include(v => v.Artifacts).Include(v => v.Tags).Include(v => v.MetricValues).Include(v => v.Aliases)
            .AsSplitQuery();

    private Task<ModelVersionRecord?> FindByModelBytesAsync(string tenantId, Guid modelId, string sha256, CancellationToken cancellationToken) =>
        VersionDetails()
            .Where(v => v.TenantId == tenantId && v.ModelId == modelId
                        && v.Artifacts.Any(a => a.Kind == ArtifactDeclaration.ModelKind && a.Sha256 == sha256))
            .OrderBy(v => v.Version)
            .FirstOrDefaultAsync(cancellationToken);

    private async Task<ModelVersionRegistration> WithDatasetChecksumAsync(
        string tenantId, ModelVersionRegistration registration, Guid datasetId, CancellationToken cancellationToken)
    {
        var dataset = await db.Datasets.AsNoTracking()
                          .Where(d => d.TenantId == tenantId && d.Id == datasetId)
                          .Select(d => new { d.Sha256 })
                          .SingleOrDefaultAsync(cancellationToken)
                      ?? throw new NotFoundException("dataset", datasetId.ToString());
        if (registration.DatasetSha256 is { } declared && declared != dataset.Sha256)
            throw new InvalidArgumentException("version.dataset_sha256",
                $"{Echo.Quote(declared)} is not the SHA-256 of data set {Echo.Quote(datasetId)} ({dataset.Sha256})");
        return registration with { DatasetSha256 = dataset.Sha256 };
    }

    private static ModelVersionRecord NewVersion(
        string tenantId, Guid modelId, int number, ModelVersionRegistration registration, IReadOnlyList<ReceivedArtifact> artifacts,
        DateTimeOffset now)
    {
        var id = Guid.CreateVersion7(now);
        var version = new ModelVersionRecord
        {
            Id = id,
            TenantId = tenantId,
            ModelId = modelId,
            Version = number,
            Source = registration.Source,
            JobId = registration.JobId,
            Attempt = registration.Attempt,
            DatasetId = registration.DatasetId,
            DatasetSha256 = registration.DatasetSha256,
            Task = registration.Task,
            Trainer = registration.Trainer,
            Hyperparameters = registration.Hyperparameters,
            Seed = registration.Seed,
            LabelColumn = registration.LabelColumn,
            Metrics = registration.Metrics,
            PreparationSteps = registration.PreparationSteps,
            PlatformVersion = registration.PlatformVersion,
            GitCommit = registration.GitCommit,
            TrainingSeconds = registration.TrainingSeconds,
            TrainedAt = registration.TrainedAt,
            Worker = registration.Worker,
            InputSchema = registration.InputSchema,
            OutputSchema = registration.OutputSchema,
            Description = registration.Description,
            ApprovalStatus = ApprovalStatus.Pending,
            CreatedAt = now,
        };
        version.Artifacts.AddRange(artifacts.Select(a => new ArtifactRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Kind = a.Declaration.Kind,
            Sha256 = a.Declaration.Sha256,
            SizeBytes = a.Declaration.SizeBytes,
            FileName = a.Declaration.FileName,
        }));
        version.Tags.AddRange(registration.Tags.Select(t => new ModelVersionTagRecord
        {
            ModelVersionId = id, TenantId = tenantId, Key = t.Key, Value = t.Value,
        }));
        // NaN and infinities stay out of the search rows: no threshold should ever match them.
        version.MetricValues.AddRange(registration.Metrics.Where(m => double.IsFinite(m.Value)).Select(m => new ModelVersionMetricRecord
        {
            ModelVersionId = id, TenantId = tenantId, Name = m.Key, Value = m.Value,
        }));
        return version;
    }

    private async Task<ModelRecord> GetOrAddModelAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        var model = await db.Models.AsNoTracking()
            .SingleOrDefaultAsync(m => m.TenantId == tenantId && m.Name == name, cancellationToken);
        if (model is not null) return model;

        var now = Now();
        model = new ModelRecord { Id = Guid.CreateVersion7(now), TenantId = tenantId, Name = name, CreatedAt = now, UpdatedAt = now };
        db.Models.Add(model);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return model;
        }
        catch (DbUpdateException)
        {
            // Another registration created the model first (unique tenant_id + name): use its row.
            db.ChangeTracker.Clear();
            return await db.Models.AsNoTracking()
                .SingleOrDefaultAsync(m => m.TenantId == tenantId && m.Name == name, cancellationToken)
                ?? throw new InvalidOperationException($"Model {Echo.Quote(name)} could neither be added nor found.");
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private DateTimeOffset Now() => StoreTime.Now(time);
}

/// <summary>A model and the number of its newest version.</summary>
public sealed record ModelWithLatest(ModelRecord Model, int Latest);
