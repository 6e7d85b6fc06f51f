using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Data;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>
/// Registered models and their versions of one tenant at a time: numbering, idempotent registration
/// per training job, and lookups by name and number. Every query filters on the tenant.
/// </summary>
public sealed class ModelVersionCatalog(ModelStoreDbContext db, TimeProvider time)
{
    /// <summary>The version a training job registered, if it did.</summary>
    public Task<ModelVersionRecord?> FindByJobAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        Versions().SingleOrDefaultAsync(v => v.TenantId == tenantId && v.JobId == jobId, cancellationToken);

    /// <summary>
    /// Records a new version of <see cref="ModelVersionRegistration.ModelName"/> with the next number
    /// (1, 2, 3… per model), whose artifacts' bytes are already in the blob store. When the job has
    /// registered a version before, that version is returned unchanged and nothing is written.
    /// </summary>
    public async Task<ModelVersionRecord> RegisterAsync(
        string tenantId, ModelVersionRegistration registration, IReadOnlyList<ArtifactDeclaration> artifacts,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(artifacts);
        // PostgreSQL runs with retry on transient failures: a transaction must run inside the strategy.
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            if (await FindByJobAsync(tenantId, registration.JobId, ct) is { } registered)
                return registered;

            var model = await GetOrAddModelAsync(tenantId, registration.ModelName, ct);
            var now = Now();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);

            // Allocating the number: the increment locks the model row (PostgreSQL; SQLite locks the whole
            // database) until this transaction ends, so concurrent registrations of one model queue here
            // and each reads the number the previous one left. A failed insert rolls the increment back.
            await db.Models
                .Where(m => m.Id == model.Id)
                .ExecuteUpdateAsync(m => m
                    .SetProperty(x => x.LatestVersion, x => x.LatestVersion + 1)
                    .SetProperty(x => x.UpdatedAt, now), ct);
            var number = await db.Models.Where(m => m.Id == model.Id).Select(m => m.LatestVersion).SingleAsync(ct);

            var version = new ModelVersionRecord
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId,
                ModelId = model.Id,
                Version = number,
                JobId = registration.JobId,
                DatasetId = registration.DatasetId,
                DatasetSha256 = registration.DatasetSha256,
                Task = registration.Task,
                Trainer = registration.Trainer,
                Hyperparameters = registration.Hyperparameters,
                Seed = registration.Seed,
                LabelColumn = registration.LabelColumn,
                Metrics = registration.Metrics,
                CreatedAt = now,
            };
            version.Artifacts.AddRange(artifacts.Select(a => new ArtifactRecord
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId,
                Kind = a.Kind,
                Sha256 = a.Sha256,
                SizeBytes = a.SizeBytes,
                FileName = a.FileName,
            }));
            db.ModelVersions.Add(version);
            try
            {
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
            catch (DbUpdateException)
            {
                // The same job registering twice at once: the unique (tenant_id, job_id) index let one through.
                await transaction.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (await FindByJobAsync(tenantId, registration.JobId, ct) is { } winner)
                    return winner;
                throw;
            }
            version.Model = model;
            return version;
        }, cancellationToken);
    }

    /// <summary>A model of the tenant that has at least one version.</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    public async Task<ModelRecord> GetModelAsync(string tenantId, string modelName, CancellationToken cancellationToken) =>
        await db.Models.AsNoTracking()
            .SingleOrDefaultAsync(m => m.TenantId == tenantId && m.Name == modelName && m.LatestVersion > 0, cancellationToken)
        ?? throw new NotFoundException("model", modelName);

    /// <summary>One version of a model, with its artifacts; <paramref name="version"/> 0 means the latest.</summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    public async Task<ModelVersionRecord> GetVersionAsync(
        string tenantId, string modelName, int version, CancellationToken cancellationToken)
    {
        var model = await GetModelAsync(tenantId, modelName, cancellationToken);
        var number = version == 0 ? model.LatestVersion : version;
        return await Versions()
                   .SingleOrDefaultAsync(v => v.TenantId == tenantId && v.ModelId == model.Id && v.Version == number, cancellationToken)
               ?? throw new NotFoundException("model version", $"{modelName}:{number}");
    }

    /// <summary>Versions with their model and artifacts, read-only.</summary>
    public IQueryable<ModelVersionRecord> Versions() =>
        db.ModelVersions.AsNoTracking().Include(v => v.Model).Include(v => v.Artifacts);

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
                ?? throw new InvalidOperationException($"Model '{name}' could neither be added nor found.");
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private DateTimeOffset Now() => StoreTime.Now(time);
}
