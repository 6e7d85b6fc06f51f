using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Maintenance;

/// <summary>A version the retention sweep deleted.</summary>
public sealed record RetiredVersion(string TenantId, string ModelName, int Version);

/// <summary>A row whose blob file is missing: "artifact" (owner "penguins:3/model") or "dataset" (owner: its id).</summary>
public sealed record DanglingReference(string TenantId, string Kind, string Owner, string Sha256);

/// <summary>What one maintenance pass did and found.</summary>
public sealed record MaintenanceResult(
    IReadOnlyList<RetiredVersion> RetiredVersions,
    int OrphanBlobsDeleted,
    long OrphanBytesDeleted,
    int TempFilesDeleted,
    IReadOnlyList<DanglingReference> Dangling,
    int DanglingTotal,
    int PublishedEventsDeleted);

/// <summary>
/// One maintenance pass over the whole store (every tenant): applies each model's retention policy, deletes orphan
/// blobs and stale upload temp files, reports dangling rows, and drops published registry events past their keep time.
/// Safe to run on several replicas at once: every deletion happens under the same locks as the requests that race
/// with it.
/// </summary>
public sealed class StoreMaintenance(
    ModelStoreDbContext db,
    ModelVersionCatalog catalog,
    ModelVersionDeletion deletion,
    BlobReclaimer reclaimer,
    BlobStore blobs,
    IOptions<ModelStoreOptions> options,
    TimeProvider time,
    ILogger<StoreMaintenance> logger)
{
    private const int BatchSize = 500;

    private MaintenanceOptions Options => options.Value.Maintenance;

    /// <summary>Runs every step once.</summary>
    public async Task<MaintenanceResult> RunAsync(CancellationToken cancellationToken)
    {
        var retired = await ApplyRetentionAsync(cancellationToken);
        var (orphans, orphanBytes) = await DeleteOrphanBlobsAsync(cancellationToken);
        var temps = DeleteStaleTempFiles();
        var (dangling, danglingTotal) = await FindDanglingAsync(cancellationToken);
        var published = await DeletePublishedEventsAsync(cancellationToken);
        if (danglingTotal > 0)
            logger.LogError("{Count} rows point at blobs that are missing from the blob store (first: {Kind} {Owner}, sha256 {Sha256}); restore the blobs from a backup",
                danglingTotal, dangling[0].Kind, dangling[0].Owner, dangling[0].Sha256);
        logger.LogInformation("Maintenance: {Retired} versions retired, {Orphans} orphan blobs ({Bytes} bytes) and {Temps} temp files deleted, {Dangling} dangling rows, {Events} published events dropped",
            retired.Count, orphans, orphanBytes, temps, danglingTotal, published);
        return new MaintenanceResult(retired, orphans, orphanBytes, temps, dangling, danglingTotal, published);
    }

    /// <summary>
    /// For each model with a policy: deletes the versions beyond its <see cref="ModelRecord.KeepLastVersions"/> newest,
    /// except those with an alias.
    /// </summary>
    public async Task<IReadOnlyList<RetiredVersion>> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var policies = await db.Models.AsNoTracking()
            .Where(m => m.KeepLastVersions > 0)
            .OrderBy(m => m.Id)
            .Select(m => new { m.TenantId, m.Name })
            .ToListAsync(cancellationToken);
        var retired = new List<RetiredVersion>();
        foreach (var policy in policies)
        {
            var hashes = await catalog.ChangeAsync<IReadOnlyList<string>>(policy.TenantId, policy.Name, async (model, ct) =>
            {
                // The oldest version still kept: everything below it without an alias goes (a bounded batch per pass).
                var oldestKept = await db.ModelVersions
                    .Where(v => v.ModelId == model.Id)
                    .OrderByDescending(v => v.Version)
                    .Skip(model.KeepLastVersions - 1)
                    .Select(v => (int?)v.Version)
                    .FirstOrDefaultAsync(ct);
                if (oldestKept is null) return [];
                var expired = await catalog.TrackedVersions()
                    .Where(v => v.ModelId == model.Id && v.Version < oldestKept && !v.Aliases.Any())
                    .OrderBy(v => v.Version)
                    .Take(BatchSize)
                    .ToListAsync(ct);
                retired.AddRange(expired.Select(v => new RetiredVersion(model.TenantId, model.Name, v.Version)));
                return deletion.Remove(model, expired, DeletionReasons.Retention, Actors.RetentionPolicy);
            }, cancellationToken);
            await reclaimer.ReclaimAsync(hashes, olderThan: null, cancellationToken);
        }
        return retired;
    }

    /// <summary>Deletes blob files older than the grace period that no artifact or data set row refers to.</summary>
    public async Task<(int Count, long Bytes)> DeleteOrphanBlobsAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - Options.OrphanGracePeriod;
        var count = 0;
        long bytes = 0;
        foreach (var batch in OldBlobs(cutoff).Chunk(BatchSize))
        {
            var referenced = await ReferencedAsync(batch, cancellationToken);
            var orphans = batch.Where(h => !referenced.Contains(h)).ToList();
            if (orphans.Count == 0) continue;
            // Checked again under each blob's lock: a row may have arrived since.
            var (deleted, size) = await reclaimer.ReclaimAsync(orphans, cutoff, cancellationToken);
            count += deleted;
            bytes += size;
        }
        return (count, bytes);
    }

    /// <summary>
    /// Deletes upload temp files not written to for the grace period: left by a process that died mid-upload (a live
    /// upload writes to its file as bytes arrive).
    /// </summary>
    public int DeleteStaleTempFiles()
    {
        var cutoff = (time.GetUtcNow() - Options.OrphanGracePeriod).UtcDateTime;
        var deleted = 0;
        foreach (var file in new DirectoryInfo(blobs.TempFolder).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc > cutoff) continue;
            try
            {
                file.Delete();
                deleted++;
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Could not delete stale upload temp file {File}", file.Name);
            }
        }
        return deleted;
    }

    /// <summary>Rows whose blob is missing (listed up to the report limit) and how many there are in all. Never deletes them.</summary>
    public async Task<(IReadOnlyList<DanglingReference> Listed, int Total)> FindDanglingAsync(CancellationToken cancellationToken)
    {
        var listed = new List<DanglingReference>();
        var total = 0;
        var missing = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool IsMissing(string sha256)
        {
            if (!missing.TryGetValue(sha256, out var value))
                missing[sha256] = value = !blobs.Exists(sha256);
            return value;
        }
        void Report(DanglingReference reference)
        {
            total++;
            if (listed.Count < Options.MaxDanglingReported) listed.Add(reference);
        }

        // Keyset pages by id: memory stays bounded however many rows there are.
        Guid? after = null;
        while (true)
        {
            var query = db.Artifacts.AsNoTracking();
            if (after is { } last) query = query.Where(a => a.Id.CompareTo(last) > 0);
            var page = await query.OrderBy(a => a.Id).Take(BatchSize)
                .Join(db.ModelVersions, a => a.ModelVersionId, v => v.Id, (a, v) => new { a.Id, a.TenantId, a.Kind, a.Sha256, v.Version, ModelName = v.Model!.Name })
                .ToListAsync(cancellationToken);
            foreach (var artifact in page.Where(a => IsMissing(a.Sha256)))
                Report(new DanglingReference(artifact.TenantId, "artifact", $"{artifact.ModelName}:{artifact.Version}/{artifact.Kind}", artifact.Sha256));
            if (page.Count < BatchSize) break;
            after = page[^1].Id;
        }
        after = null;
        while (true)
        {
            var query = db.Datasets.AsNoTracking();
            if (after is { } last) query = query.Where(d => d.Id.CompareTo(last) > 0);
            var page = await query.OrderBy(d => d.Id).Take(BatchSize).Select(d => new { d.Id, d.TenantId, d.Sha256 }).ToListAsync(cancellationToken);
            foreach (var dataset in page.Where(d => IsMissing(d.Sha256)))
                Report(new DanglingReference(dataset.TenantId, "dataset", dataset.Id.ToString(), dataset.Sha256));
            if (page.Count < BatchSize) break;
            after = page[^1].Id;
        }
        return (listed, total);
    }

    /// <summary>Drops registry events published longer ago than <see cref="OutboxOptions.KeepPublished"/>.</summary>
    public Task<int> DeletePublishedEventsAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Outbox.KeepPublished;
        return db.OutboxMessages.Where(m => m.SentAt != null && m.SentAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    private IEnumerable<string> OldBlobs(DateTimeOffset cutoff)
    {
        var root = Path.Combine(blobs.Root, "sha256");
        if (!Directory.Exists(root)) yield break;
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            // Only files named as the store names them; anything else is not ours to delete.
            if (BlobStore.IsSha256(file.Name) && file.LastWriteTimeUtc <= cutoff.UtcDateTime)
                yield return file.Name;
        }
    }

    private async Task<HashSet<string>> ReferencedAsync(IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken)
    {
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => sha256s.Contains(a.Sha256)).Select(a => a.Sha256).Distinct().ToListAsync(cancellationToken);
        var datasets = await db.Datasets.AsNoTracking().Where(d => sha256s.Contains(d.Sha256)).Select(d => d.Sha256).Distinct().ToListAsync(cancellationToken);
        return [.. artifacts, .. datasets];
    }
}
