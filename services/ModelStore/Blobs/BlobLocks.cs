using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Data;

namespace Platform.ModelStore.Blobs;

/// <summary>
/// Serialises, per blob, the two things that race on a content-addressed file: moving bytes into place for a new
/// row, and deleting bytes that no row refers to. Without it a delete could check "no row refers to this hash",
/// an upload of the same bytes could then find the file present and commit its row, and the delete would remove
/// the file under it.
/// <para>
/// Both sides take the lock inside the database transaction that decides the question (the upload's, which inserts
/// the row; the reclaim's, which checks there is none) and do the file operation before committing, so the lock is
/// held across both. PostgreSQL: a transaction-scoped advisory lock per hash, released by commit or rollback.
/// SQLite: every write transaction already holds the database's one write lock (<c>BEGIN IMMEDIATE</c>), which
/// serialises them all; nothing more is needed.
/// </para>
/// </summary>
public static class BlobLocks
{
    // pg_advisory_xact_lock(int, int): the first key keeps these apart from any other advisory lock user ("blob").
    private const int LockSpace = 0x626C6F62;

    /// <summary>Takes the locks of <paramref name="sha256s"/> in the current transaction, in a fixed order (no deadlocks).</summary>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    public static async Task AcquireAsync(ModelStoreDbContext db, IEnumerable<string> sha256s, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(sha256s);
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Blob locks are held by a transaction: begin one first.");
        if (!db.Database.IsNpgsql()) return;
        foreach (var sha256 in sha256s.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            // The first 32 bits of the hash: two hashes sharing them just wait for each other now and then.
            var key = int.Parse(sha256.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockSpace}, {key})", cancellationToken);
        }
    }
}
