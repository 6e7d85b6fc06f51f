using System.Collections.Concurrent;
using Npgsql;

namespace Platform.Testing.Servers;

/// <summary>A PostgreSQL server reached with an admin connection string; hands out fresh databases.</summary>
internal sealed class PostgresServer(string adminConnectionString, string description) : IAsyncDisposable
{
    // PostgreSQL identifiers are at most 63 bytes.
    private const int MaxNameLength = 63;
    private readonly NpgsqlDataSource _admin = NpgsqlDataSource.Create(adminConnectionString);
    private readonly ConcurrentQueue<string> _created = new();

    public string AdminConnectionString { get; } = adminConnectionString;

    /// <summary>Drops the pooled connections (they are dead after a server restart).</summary>
    public void ClearPools()
    {
        _admin.Clear();
        NpgsqlConnection.ClearAllPools();
    }

    public async Task CheckAsync()
    {
        try
        {
            await using var command = _admin.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            var server = new NpgsqlConnectionStringBuilder(AdminConnectionString);
            throw new InvalidOperationException(
                $"Cannot connect to PostgreSQL at {server.Host}:{server.Port} ({description}): {e.Message}. " +
                "Is it running? Check with `bash deploy/local/test-servers.sh status`.", e);
        }
    }

    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = UniqueName.For(prefix, MaxNameLength, '_');
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The name is made of [a-z0-9_] only (UniqueName), so quoting it is enough.
#pragma warning disable CA2100
                await using var command = _admin.CreateCommand($"CREATE DATABASE \"{name}\"");
#pragma warning restore CA2100
                await command.ExecuteNonQueryAsync();
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 10)
            {
                // "source database template1 is being accessed by other users": another test run is creating a
                // database from the same template at this moment; it is done within milliseconds.
                await Task.Delay(50 * attempt);
            }
        }

        _created.Enqueue(name);
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        // Tests may leave pooled connections open; WITH (FORCE) ends them (and anything a test host still holds).
        NpgsqlConnection.ClearAllPools();
        while (_created.TryDequeue(out var name))
        {
            try
            {
#pragma warning disable CA2100
                await using var command = _admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
#pragma warning restore CA2100
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // Best effort: a database left behind costs disk space, not correctness (names never repeat).
            }
        }

        await _admin.DisposeAsync();
    }
}
