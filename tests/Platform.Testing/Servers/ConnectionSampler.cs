using Npgsql;

namespace Platform.Testing;

/// <summary>
/// How many PostgreSQL sessions a database has (<c>pg_stat_activity</c>, idle pooled connections included), asked from a
/// connection of its own to the server's <c>postgres</c> database: once (<see cref="CountAsync"/>), or every 50 ms until
/// stopped, keeping the peak (<see cref="Start"/>).
/// </summary>
public sealed class ConnectionSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _sampling;

    private ConnectionSampler(string connectionString) => _sampling = SampleAsync(connectionString, _stop.Token);

    /// <summary>Starts sampling the sessions on the database <paramref name="connectionString"/> names.</summary>
    public static ConnectionSampler Start(string connectionString) => new(connectionString);

    /// <summary>Sessions on the database <paramref name="connectionString"/> names, now.</summary>
    public static async Task<int> CountAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from pg_stat_activity where datname = @database", connection);
        command.Parameters.AddWithValue("database", database!);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Stops sampling; returns the most sessions seen at once.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _sampling;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private static async Task<int> SampleAsync(string connectionString, CancellationToken stop)
    {
        var peak = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, await CountAsync(connectionString));
            await Task.Delay(50, CancellationToken.None);
        }
        return peak;
    }
}
