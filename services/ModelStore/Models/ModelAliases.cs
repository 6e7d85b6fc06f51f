using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.ModelStore.Data;
using Platform.ModelStore.Events;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>An alias as it stands after a change, and where it pointed before (0: it was new, or it was removed).</summary>
public sealed record AliasState(string ModelName, string Alias, int Version, int PreviousVersion, string SetBy, DateTimeOffset SetAt);

/// <summary>
/// Aliases (production, staging, …): each points at one version of its model. Setting, moving and removing one is a
/// single transaction under the model's row lock that also writes the <see cref="ModelAliasMoved"/> event, so
/// concurrent moves of one alias queue up and every event names the version the alias really left.
/// </summary>
public sealed class ModelAliases(ModelStoreDbContext db, ModelVersionCatalog catalog, RegistryOutbox outbox, TimeProvider time)
{
    /// <summary>
    /// Points <paramref name="alias"/> of a model at a version given by number or by id (or both, when they agree).
    /// Setting an alias to where it already points changes nothing and publishes nothing.
    /// </summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    /// <exception cref="InvalidArgumentException">The version id is a version of another model, or disagrees with the number.</exception>
    public async Task<AliasState> SetAsync(
        string tenantId, string modelName, string alias, int version, Guid? versionId, string actor, CancellationToken cancellationToken)
    {
        return await catalog.ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            var target = await FindTargetAsync(tenantId, model, version, versionId, ct);
            var row = await db.ModelAliases.SingleOrDefaultAsync(a => a.ModelId == model.Id && a.Name == alias, ct);
            var previous = row is null ? 0 : await db.ModelVersions.Where(v => v.Id == row.ModelVersionId).Select(v => v.Version).SingleAsync(ct);
            if (row is not null && row.ModelVersionId == target.Id)
                return new AliasState(model.Name, alias, target.Version, previous, row.SetBy, row.SetAt);

            var now = StoreTime.Now(time);
            if (row is null)
            {
                row = new ModelAliasRecord
                {
                    Id = Guid.CreateVersion7(now), TenantId = tenantId, ModelId = model.Id, Name = alias,
                    ModelVersionId = target.Id, SetBy = actor, SetAt = now,
                };
                db.ModelAliases.Add(row);
            }
            else
            {
                row.ModelVersionId = target.Id;
                row.SetBy = actor;
                row.SetAt = now;
            }
            outbox.Add(db, tenantId, new ModelAliasMoved
            {
                TenantId = tenantId, ModelName = model.Name, Alias = alias,
                PreviousVersion = previous == 0 ? null : previous, Version = target.Version, VersionId = target.Id,
                Actor = actor, At = now,
            });
            return new AliasState(model.Name, alias, target.Version, previous, actor, now);
        }, cancellationToken);
    }

    /// <summary>Removes an alias; returns the version it pointed at.</summary>
    /// <exception cref="NotFoundException">No such model or alias.</exception>
    public async Task<int> RemoveAsync(string tenantId, string modelName, string alias, string actor, CancellationToken cancellationToken)
    {
        return await catalog.ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            var row = await db.ModelAliases.Include(a => a.ModelVersion)
                          .SingleOrDefaultAsync(a => a.ModelId == model.Id && a.Name == alias, ct)
                      ?? throw new NotFoundException("alias", $"{modelName}@{alias}");
            Remove(model, row, actor);
            return row.ModelVersion!.Version;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes a tracked alias row (with its version loaded) and writes its <see cref="ModelAliasMoved"/> event with no
    /// new version. For callers already inside the model's transaction (removal, erasure).
    /// </summary>
    public void Remove(ModelRecord model, ModelAliasRecord row, string actor)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(row);
        db.ModelAliases.Remove(row);
        outbox.Add(db, model.TenantId, new ModelAliasMoved
        {
            TenantId = model.TenantId, ModelName = model.Name, Alias = row.Name,
            PreviousVersion = row.ModelVersion?.Version, Version = null, VersionId = null,
            Actor = actor, At = StoreTime.Now(time),
        });
    }

    /// <summary>A model's aliases by name, with the versions they point at.</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    public async Task<IReadOnlyList<AliasState>> ListAsync(string tenantId, string modelName, CancellationToken cancellationToken)
    {
        var model = await catalog.GetModelAsync(tenantId, modelName, cancellationToken);
        var rows = await db.ModelAliases.AsNoTracking()
            .Where(a => a.ModelId == model.Id)
            .OrderBy(a => a.Name)
            .Select(a => new { a.Name, a.ModelVersion!.Version, a.SetBy, a.SetAt })
            .ToListAsync(cancellationToken);
        return rows.Select(a => new AliasState(model.Name, a.Name, a.Version, 0, a.SetBy, a.SetAt)).ToList();
    }

    private async Task<ModelVersionRecord> FindTargetAsync(
        string tenantId, ModelRecord model, int version, Guid? versionId, CancellationToken cancellationToken)
    {
        if (versionId is not { } id)
        {
            if (version <= 0)
                throw new InvalidArgumentException("version", "is required: the version number (or version_id) the alias points at");
            return await db.ModelVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ModelId == model.Id && v.Version == version, cancellationToken)
                   ?? throw new NotFoundException("model version", $"{model.Name}:{version}");
        }

        // Another tenant's version is reported exactly like one that does not exist.
        var byId = await db.ModelVersions.AsNoTracking().Include(v => v.Model)
                       .SingleOrDefaultAsync(v => v.TenantId == tenantId && v.Id == id, cancellationToken)
                   ?? throw new NotFoundException("model version", id.ToString());
        if (byId.ModelId != model.Id)
            throw new InvalidArgumentException("version_id",
                $"{Echo.Quote(id)} is version {byId.Model!.Name}:{byId.Version}, not a version of model {Echo.Quote(model.Name)}: an alias points at a version of its own model");
        if (version != 0 && version != byId.Version)
            throw new InvalidArgumentException("version_id", $"{Echo.Quote(id)} is version {byId.Version}, but version says {version}");
        return byId;
    }
}
