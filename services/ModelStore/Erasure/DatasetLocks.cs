using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Data;

namespace Platform.ModelStore.Erasure;

/// <summary>
/// Keeps registrations of versions trained on a data set and the erasure of that data set apart: registrations take
/// the data set's lock shared (they do not block each other), an erasure takes it exclusively. A registration checks
/// "not erased" under the lock, so it either commits before the erasure starts (and is erased with the rest) or sees
/// the erasure record and refuses. PostgreSQL: transaction-scoped advisory locks; SQLite: the database's write lock
/// already serialises every write transaction.
/// </summary>
public static class DatasetLocks
{
    // pg_advisory_xact_lock(int, int): the first key keeps these apart from other advisory lock users ("dset").
    private const int LockSpace = 0x64736574;

    /// <summary>Takes the data set's lock shared, in the current transaction.</summary>
    public static Task AcquireSharedAsync(ModelStoreDbContext db, Guid datasetId, CancellationToken cancellationToken) =>
        AcquireAsync(db, datasetId, shared: true, cancellationToken);

    /// <summary>Takes the data set's lock exclusively, in the current transaction.</summary>
    public static Task AcquireExclusiveAsync(ModelStoreDbContext db, Guid datasetId, CancellationToken cancellationToken) =>
        AcquireAsync(db, datasetId, shared: false, cancellationToken);

    private static async Task AcquireAsync(ModelStoreDbContext db, Guid datasetId, bool shared, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Data set locks are held by a transaction: begin one first.");
        if (!db.Database.IsNpgsql()) return;
        // Guid hash codes come from the bytes alone (unlike strings), so every replica derives the same key.
        var key = datasetId.GetHashCode();
        if (shared)
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock_shared({LockSpace}, {key})", cancellationToken);
        else
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockSpace}, {key})", cancellationToken);
    }
}
