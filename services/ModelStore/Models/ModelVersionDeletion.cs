using Platform.Contracts;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Events;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>Why a version was deleted, as <see cref="ModelVersionDeleted.Reason"/> says it.</summary>
public static class DeletionReasons
{
    public const string Deleted = "deleted";
    public const string Retention = "retention";
    public const string Erasure = "erasure";
}

/// <summary>
/// Deletes model versions: their rows (artifacts, tags, metrics) and the <see cref="ModelVersionDeleted"/> event in
/// the model's transaction, then, once that has committed, the blobs no other row refers to. A crash between the two
/// leaves orphan blobs, never a row without its bytes; the maintenance sweep removes the orphans.
/// </summary>
public sealed class ModelVersionDeletion(
    ModelStoreDbContext db, ModelVersionCatalog catalog, ModelAliases aliases, BlobReclaimer reclaimer, RegistryOutbox outbox, TimeProvider time)
{
    /// <summary>Deletes one version at a user's request. A version with an alias is kept: the alias must move first.</summary>
    /// <returns>The blob files deleted and their total size.</returns>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    /// <exception cref="FailedPreconditionException">An alias points at the version.</exception>
    public async Task<(int Blobs, long Bytes)> DeleteAsync(
        string tenantId, string modelName, int version, string actor, CancellationToken cancellationToken)
    {
        var hashes = await catalog.ChangeAsync(tenantId, modelName, async (model, ct) =>
        {
            var record = await catalog.TrackedVersionAsync(model, version, ct);
            if (record.Aliases.Count > 0)
                throw new FailedPreconditionException(
                    $"model version '{model.Name}:{version}' has the alias(es) {string.Join(", ", record.Aliases.Select(a => a.Name).Order(StringComparer.Ordinal))}: move or remove them first");
            return Remove(model, [record], DeletionReasons.Deleted, actor);
        }, cancellationToken);
        return await reclaimer.ReclaimAsync(hashes, olderThan: null, CancellationToken.None);
    }

    /// <summary>
    /// Removes tracked versions of <paramref name="model"/> (loaded with <see cref="ModelVersionCatalog.TrackedVersions"/>)
    /// and writes their events; any alias on them goes too, with its own event. For callers inside the model's
    /// transaction; the caller saves, commits and then reclaims the returned blob hashes.
    /// </summary>
    public IReadOnlyList<string> Remove(ModelRecord model, IReadOnlyList<ModelVersionRecord> versions, string reason, string actor)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(versions);
        var now = StoreTime.Now(time);
        foreach (var version in versions)
        {
            foreach (var alias in version.Aliases.ToList())
            {
                alias.ModelVersion = version;
                aliases.Remove(model, alias, actor);
            }
            db.ModelVersions.Remove(version);
            outbox.Add(db, model.TenantId, new ModelVersionDeleted
            {
                VersionId = version.Id, TenantId = model.TenantId, ModelName = model.Name, Version = version.Version,
                Reason = reason, Actor = actor, At = now,
            });
        }
        return versions.SelectMany(v => v.Artifacts).Select(a => a.Sha256).Distinct(StringComparer.Ordinal).ToList();
    }
}
