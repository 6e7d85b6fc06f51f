using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Platform.Benchmarks;

/// <summary>
/// What a benchmark phase cost the servers, divided by the jobs it ran: PostgreSQL transactions, rows written and WAL
/// bytes per database (<c>pg_stat_database</c>, <c>pg_current_wal_lsn</c>), RabbitMQ messages published and delivered in
/// the virtual host (management API), and CPU time of each process involved (<c>/proc/&lt;pid&gt;/stat</c>; PostgreSQL as
/// its postmaster with all its children, RabbitMQ as its Erlang VM). On a shared, loaded machine wall time says little;
/// these counts compare two versions of the code by the work they ask for.
/// </summary>
internal sealed class ServerWork
{
    // The broker refreshes its message counters every 5 s (collect_statistics_interval); PostgreSQL flushes a backend's
    // counters at most once a second. A snapshot waits for both to have caught up.
    internal static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(5.5);

    private readonly IReadOnlyList<(string Name, string ConnectionString)> _databases;
    private readonly HttpClient _management;
    private readonly string _vhost;
    private readonly IReadOnlyList<(string Name, int Pid)> _processes;
    private readonly int _postmaster;
    private readonly int _broker;

    private ServerWork(IReadOnlyList<(string, string)> databases, HttpClient management, string vhost,
        IReadOnlyList<(string, int)> processes, int postmaster, int broker)
    {
        _databases = databases;
        _management = management;
        _vhost = vhost;
        _processes = processes;
        _postmaster = postmaster;
        _broker = broker;
    }

    /// <summary>
    /// <paramref name="databases"/>: name and connection string of each database to count; <paramref name="amqpVhost"/>: the
    /// virtual host's amqp URI; <paramref name="processes"/>: the platform's own processes by name.
    /// </summary>
    public static async Task<ServerWork> StartAsync(IReadOnlyList<(string Name, string ConnectionString)> databases, Uri management,
        string amqpVhost, IReadOnlyList<(string Name, int Pid)> processes)
    {
        var client = new HttpClient { BaseAddress = new UriBuilder(management) { UserName = "", Password = "", Path = "/" }.Uri };
        var credentials = Uri.UnescapeDataString(management.UserInfo is { Length: > 0 } info ? info : "guest:guest");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        var vhost = Uri.UnescapeDataString(new Uri(amqpVhost).AbsolutePath.TrimStart('/'));

        int postmaster;
        await using (var connection = new NpgsqlConnection(databases[0].ConnectionString))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand("select pg_backend_pid()", connection);
            // The backend's parent, while the backend still runs.
            postmaster = ParentOf((int)(await query.ExecuteScalarAsync())!);
        }
        using var nodes = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/nodes", UriKind.Relative)));
        var broker = int.Parse(nodes.RootElement[0].GetProperty("os_pid").GetString()!, CultureInfo.InvariantCulture);
        return new ServerWork(databases, client, vhost, processes, postmaster, broker);
    }

    /// <summary>The counters now, after waiting for the servers' statistics to catch up.</summary>
    public async Task<Snapshot> ReadAsync()
    {
        await Task.Delay(SettleTime);
        var databases = new Dictionary<string, DatabaseCounters>();
        long wal = 0;
        foreach (var (name, connectionString) in _databases)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "select xact_commit, tup_inserted, tup_updated, tup_deleted, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint " +
                "from pg_stat_database where datname = current_database()", connection);
            await using var reader = await query.ExecuteReaderAsync();
            await reader.ReadAsync();
            databases[name] = new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            wal = reader.GetInt64(4);
        }

        using var vhost = JsonDocument.Parse(await _management.GetStringAsync(new Uri($"api/vhosts/{Uri.EscapeDataString(_vhost)}", UriKind.Relative)));
        long Stat(string name) =>
            vhost.RootElement.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;

        var cpu = _processes.ToDictionary(p => p.Name, p => CpuSeconds(p.Pid, withChildren: false));
        cpu["postgres"] = CpuSeconds(_postmaster, withChildren: true);
        cpu["rabbitmq"] = CpuSeconds(_broker, withChildren: false);
        return new Snapshot(databases, wal, Stat("publish"), Stat("deliver_get"), cpu);
    }

    /// <summary>Prints the difference between two snapshots per job.</summary>
    public static void Print(string phase, Snapshot before, Snapshot after, int jobs)
    {
        string PerJob(double value) => (value / jobs).ToString("0.00", CultureInfo.InvariantCulture);
        Console.WriteLine($"  server work per job ({phase}, {jobs} jobs):");
        foreach (var (name, end) in after.Databases)
        {
            var start = before.Databases[name];
            Console.WriteLine($"    postgres {name,-10} {PerJob(end.Commits - start.Commits)} transactions, {PerJob(end.Inserted - start.Inserted)} rows inserted, " +
                $"{PerJob(end.Updated - start.Updated)} updated, {PerJob(end.Deleted - start.Deleted)} deleted");
        }
        Console.WriteLine($"    postgres WAL {PerJob(after.WalBytes - before.WalBytes)} bytes (whole server)");
        Console.WriteLine($"    rabbitmq {PerJob(after.Published - before.Published)} messages published, {PerJob(after.Delivered - before.Delivered)} delivered (virtual host)");
        Console.WriteLine("    CPU ms per job: " + string.Join(", ",
            after.CpuSeconds.Select(p => $"{p.Key} {(p.Value - before.CpuSeconds[p.Key]) * 1000 / jobs:0.00}")) +
            $" (sum {(after.CpuSeconds.Values.Sum() - before.CpuSeconds.Values.Sum()) * 1000 / jobs:0.00})");
    }

    public sealed record DatabaseCounters(long Commits, long Inserted, long Updated, long Deleted);

    public sealed record Snapshot(IReadOnlyDictionary<string, DatabaseCounters> Databases, long WalBytes, long Published, long Delivered,
        Dictionary<string, double> CpuSeconds);

    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User + system CPU seconds of a process; with its children (live ones and those it has reaped).</summary>
    private static double CpuSeconds(int pid, bool withChildren)
    {
        var fields = StatFields(pid);
        if (fields is null) return 0;
        // Fields after "(comm)": index 0 is field 3 (state); utime = field 14, stime 15, cutime 16, cstime 17.
        double ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            foreach (var child in ChildrenOf(pid)) ticks += CpuSeconds(child, withChildren: true) * TicksPerSecond;
        }
        return ticks / TicksPerSecond;
    }

    private static int ParentOf(int pid) => int.Parse(StatFields(pid)![1], CultureInfo.InvariantCulture);

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            var fields = StatFields(candidate);
            if (fields is not null && fields[1] == pid.ToString(CultureInfo.InvariantCulture)) yield return candidate;
        }
    }

    /// <summary>The fields of /proc/&lt;pid&gt;/stat after the command name, or null when the process is gone.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
