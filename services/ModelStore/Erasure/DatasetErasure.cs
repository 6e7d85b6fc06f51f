using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Events;
using Platform.ModelStore.Models;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Erasure;

/// <summary>
/// Data-subject erasure (GDPR right to erasure): deletes a data set and, on request, every model version trained on it
/// (their artifacts hold what the model learnt from the data, and the predictions artifact holds holdout rows), with
/// any aliases on those versions. One transaction removes the rows, writes the registry events and an audit record
/// that holds only ids (who asked, when, which data set and versions), never names or contents; the blobs no other row
/// refers to are deleted right after it commits. Later registrations for the data set are refused.
/// </summary>
public sealed class DatasetErasure(
    ModelStoreDbContext db, ModelVersionCatalog catalog, ModelVersionDeletion deletion, BlobReclaimer reclaimer,
    RegistryOutbox outbox, TimeProvider time, ILogger<DatasetErasure> logger)
{
    /// <summary>Longest request reference.</summary>
    public const int MaxRequestReferenceLength = 200;

    /// <summary>Erases a data set of the tenant; with <paramref name="cascade"/>, the versions trained on it too.</summary>
    /// <returns>The audit record.</returns>
    /// <exception cref="NotFoundException">The tenant has no such data set.</exception>
    /// <exception cref="FailedPreconditionException">Versions were trained on it and <paramref name="cascade"/> is false.</exception>
    public async Task<DatasetErasureRecord> EraseAsync(
        string tenantId, Guid datasetId, bool cascade, string actor, string requestReference, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        var (record, hashes) = await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Exclusive: registrations naming this data set wait, then see the erasure record and refuse.
            await DatasetLocks.AcquireExclusiveAsync(db, datasetId, ct);
            var dataset = await db.Datasets.SingleOrDefaultAsync(d => d.TenantId == tenantId && d.Id == datasetId, ct)
                          ?? throw new NotFoundException("dataset", datasetId.ToString());

            var trained = await db.ModelVersions.AsNoTracking()
                .Where(v => v.TenantId == tenantId && v.DatasetId == datasetId)
                .Select(v => new { v.ModelId, v.Version, ModelName = v.Model!.Name })
                .ToListAsync(ct);
            if (trained.Count > 0 && !cascade)
            {
                var names = trained.OrderBy(v => v.ModelName, StringComparer.Ordinal).ThenBy(v => v.Version)
                    .Take(10).Select(v => $"{v.ModelName}:{v.Version}");
                throw new FailedPreconditionException(
                    $"{trained.Count} model version(s) were trained on data set {Echo.Quote(datasetId)} ({string.Join(", ", names)}{(trained.Count > 10 ? ", …" : "")}); erase with cascade to delete them too");
            }

            var hashes = new List<string> { dataset.Sha256 };
            var erased = new List<ErasedVersionRecord>();
            // Model rows locked in id order, as every other multi-model change would, so two erasures cannot deadlock.
            foreach (var modelId in trained.Select(v => v.ModelId).Distinct().Order())
            {
                await catalog.LockModelAsync(modelId, ct);
                var model = await db.Models.AsNoTracking().SingleAsync(m => m.Id == modelId, ct);
                var versions = await catalog.TrackedVersions()
                    .Where(v => v.ModelId == modelId && v.DatasetId == datasetId)
                    .ToListAsync(ct);
                hashes.AddRange(deletion.Remove(model, versions, DeletionReasons.Erasure, actor));
                erased.AddRange(versions.Select(v => new ErasedVersionRecord(model.Name, v.Version, v.Id)));
            }
            db.Datasets.Remove(dataset);

            var now = StoreTime.Now(time);
            var audit = new DatasetErasureRecord
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId,
                DatasetId = datasetId,
                Actor = actor,
                RequestReference = requestReference,
                ErasedAt = now,
                Versions = erased.OrderBy(v => v.ModelName, StringComparer.Ordinal).ThenBy(v => v.Version).ToList(),
            };
            db.DatasetErasures.Add(audit);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return (audit, hashes);
        }, cancellationToken);
        outbox.Committed();

        // The rows are gone; now the bytes. A crash here leaves orphans for the maintenance sweep, never data in rows.
        var (blobs, _) = await reclaimer.ReclaimAsync(hashes, olderThan: null, CancellationToken.None);
        record.BlobsDeleted = blobs;
        db.ChangeTracker.Clear();
        db.DatasetErasures.Attach(record).Property(r => r.BlobsDeleted).IsModified = true;
        await db.SaveChangesAsync(CancellationToken.None);

        logger.LogInformation("Erased data set {DatasetId} of tenant {TenantId} for {Actor} ({Reference}): {Versions} model versions, {Blobs} blobs",
            datasetId, tenantId, actor, requestReference, record.Versions.Count, blobs);
        return record;
    }
}
