using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Platform.Scheduler.Data;

/// <summary>
/// SQLite (standalone) lets one writer in at a time. When two of the scheduler's writers meet (a worker's report, a
/// heartbeat, the dispatch pass), Microsoft.Data.Sqlite retries the loser itself but sleeps 150 ms between tries, which
/// put a 150 ms step into the dispatch latency of about one job in a hundred. SQLite's own busy handler, switched on
/// here for every connection, waits for the lock in steps of a few milliseconds instead. Does nothing on PostgreSQL.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    /// <summary>How long a writer waits for the lock before SQLite reports it busy (then the driver's own retry takes over).</summary>
    private const int TimeoutMilliseconds = 5_000;

    public static SqliteBusyTimeout Instance { get; } = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (connection is not SqliteConnection) return;
        using var command = Pragma(connection);
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (connection is not SqliteConnection) return;
        await using var command = Pragma(connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Pragma(DbConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {TimeoutMilliseconds};";
        return command;
    }
}
