using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Data;

namespace Platform.ModelStore.Blobs;

/// <summary>
/// Deletes blob files that no row refers to any more: after a version or data set is deleted, and for orphans the
/// maintenance sweep finds. A blob is shared by content (the same bytes in two versions, or in a version and a data
/// set, of any tenant), so each file is deleted only after checking, under its <see cref="BlobLocks">lock</see>, that
/// no artifact or data set row still has its hash.
/// </summary>
public sealed class BlobReclaimer(ModelStoreDbContext db, BlobStore blobs, ILogger<BlobReclaimer> logger)
{
    /// <summary>Deletes each blob in <paramref name="sha256s"/> that nothing refers to.</summary>
    /// <param name="sha256s">Hashes whose rows were just deleted (or that look orphaned).</param>
    /// <param name="olderThan">When set, only files last written before this are deleted (the sweep's grace period).</param>
    /// <param name="cancellationToken">Stops between blobs.</param>
    /// <returns>The blobs deleted and their total size.</returns>
    public async Task<(int Count, long Bytes)> ReclaimAsync(
        IEnumerable<string> sha256s, DateTimeOffset? olderThan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha256s);
        var count = 0;
        long bytes = 0;
        foreach (var sha256 in sha256s.Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var freed = await ReclaimOneAsync(sha256, olderThan);
            if (freed is { } size)
            {
                count++;
                bytes += size;
            }
        }
        return (count, bytes);
    }

    private async Task<long?> ReclaimOneAsync(string sha256, DateTimeOffset? olderThan)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            // A transaction only to hold the blob's lock while checking and deleting; it writes nothing.
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            await BlobLocks.AcquireAsync(db, [sha256], CancellationToken.None);
            var file = new FileInfo(blobs.PathOf(sha256));
            if (!file.Exists) return (long?)null;
            if (olderThan is { } cutoff && file.LastWriteTimeUtc > cutoff.UtcDateTime) return null;
            var referenced = await db.Artifacts.AnyAsync(a => a.Sha256 == sha256)
                             || await db.Datasets.AnyAsync(d => d.Sha256 == sha256);
            if (referenced) return null;
            var size = file.Length;
            file.Delete();
            await transaction.CommitAsync(CancellationToken.None);
            logger.LogInformation("Deleted blob {Sha256} ({Bytes} bytes): no version or data set refers to it", sha256, size);
            return size;
        });
    }
}
