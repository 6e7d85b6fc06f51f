using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// Many <c>WatchJob</c> streams on one scheduler (docs/scheduling.md, "Watching a job"): the model store and the
/// scheduler as processes on RabbitMQ + PostgreSQL; <c>PLATFORM_BENCH_WATCHERS</c> jobs (default 1,000) queued with no
/// worker connected, one stream watching each, then every job cancelled. Figures, each against the same scheduler
/// before the streams opened: the scheduler's PostgreSQL connections at most (sampled from <c>pg_stat_activity</c>
/// every 50 ms; target ≤ 20), its resident memory (<c>/proc/&lt;pid&gt;/status</c> VmRSS) with every stream open, and
/// how long after <c>CancelJob</c> returned each stream received the Cancelled update (p50, p99).
/// </summary>
public static class WatchBenchmark
{
    private const string Mode = "rabbitmq+postgres";

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync()
    {
        if (Environment.GetEnvironmentVariable(PlatformServers.PostgresVariable) is not { Length: > 0 })
        {
            Console.WriteLine($"watchers: skipped ({PlatformServers.PostgresVariable} not set; `make bench` starts local servers)");
            return [];
        }
        var watchers = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_WATCHERS"), CultureInfo.InvariantCulture, out var n) ? n : 1000;
        await using var servers = new PlatformServers();
        await servers.InitializeAsync();
        var schedulerDb = await servers.CreateDatabaseAsync("watch_bench_scheduler");
        var storeDb = await servers.CreateDatabaseAsync("watch_bench_store");
        var vhost = await servers.CreateVirtualHostAsync("watch-bench");
        var blobs = Directory.CreateTempSubdirectory("watch-bench-blobs").FullName;
        try
        {
            var common = new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["Messaging__Transport"] = "RabbitMq",
                ["ConnectionStrings__RabbitMq"] = vhost,
                ["Logging__LogLevel__Platform"] = "Warning",
            };
            var storeEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__ModelStore"] = storeDb, ["BlobStore__Root"] = blobs };
            var schedulerEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__Scheduler"] = schedulerDb };
            await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
            await ServiceProcess.RunToCompletionAsync("Scheduler", "migrate", schedulerEnv);
            await using var store = await ServiceProcess.StartAsync("ModelStore", storeEnv);
            schedulerEnv["Services__ModelStore"] = store.GrpcAddress.ToString();
            await using var scheduler = await ServiceProcess.StartAsync("Scheduler", schedulerEnv);

            using var storeChannel = GrpcChannel.ForAddress(store.GrpcAddress);
            // Kestrel serves 100 streams per HTTP/2 connection; the client opens as many connections as it needs.
            using var channel = GrpcChannel.ForAddress(scheduler.GrpcAddress, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            });
            var client = new JobService.JobServiceClient(channel);
            var dataset = await UploadAsync(new DatasetService.DatasetServiceClient(storeChannel));

            Console.WriteLine($"watchers ({Mode}): {watchers} queued jobs, then a stream on each, then each cancelled");
            var jobs = new string[watchers];
            await Parallel.ForAsync(0, watchers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
                jobs[i] = (await client.SubmitJobAsync(new SubmitJobRequest { Spec = Job(dataset.Id) }, cancellationToken: ct)).Id);
            // Settled: what the scheduler holds with the jobs and no stream.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var baselineConnections = await ConnectionsAsync(schedulerDb);
            var baselineMemory = ResidentMegabytes(scheduler.ProcessId);

            await using var sampler = ConnectionPeak.Start(schedulerDb);
            var opened = Enumerable.Range(0, watchers).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
            var cancelledAt = new long[watchers];
            var streams = Enumerable.Range(0, watchers).Select(i => Task.Run(() => WatchAsync(client, jobs[i], opened[i]))).ToArray();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(opened.Select(o => o.Task)).WaitAsync(TimeSpan.FromMinutes(5));
            var openSeconds = clock.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(3));
            var memory = ResidentMegabytes(scheduler.ProcessId);

            await Parallel.ForAsync(0, watchers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                await client.CancelJobAsync(new CancelJobRequest { JobId = jobs[i] }, cancellationToken: ct);
                cancelledAt[i] = Stopwatch.GetTimestamp();
            });
            var ended = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromMinutes(5));
            var peak = await sampler.StopAsync();
            var wrong = ended.Count(e => e.State != JobState.Cancelled);
            if (wrong > 0) throw new InvalidOperationException($"{wrong} of {watchers} streams did not end Cancelled");
            var delays = ended.Select((e, i) => Math.Max(0, Stopwatch.GetElapsedTime(cancelledAt[i], e.EndedAt).TotalMilliseconds)).Order().ToArray();
            var (p50, p99) = (Quantile(delays, 0.5), Quantile(delays, 0.99));

            Console.WriteLine($"  {watchers} streams open after {openSeconds:0.0} s; scheduler PostgreSQL connections at most {peak} " +
                              $"(without streams {baselineConnections}); resident memory {memory:0} MB (without streams {baselineMemory:0} MB); " +
                              $"Cancelled reached each stream {p50:0} ms (p50) / {p99:0} ms (p99) after CancelJob returned");
            var data = $"{watchers} concurrent WatchJob streams, one per queued job, each job then cancelled; baseline: the same scheduler before the streams";
            return
            [
                new("scheduler.watchers.connections", peak, "connections", baselineConnections, peak / (double)Math.Max(1, baselineConnections), "<= 20", data, Mode),
                new("scheduler.watchers.memory", memory, "MB", baselineMemory, memory / baselineMemory, "", data, Mode),
                new("scheduler.watchers.cancel_to_stream.p50", p50, "ms", null, null, "", data, Mode),
                new("scheduler.watchers.cancel_to_stream.p99", p99, "ms", null, null, "", data, Mode),
            ];
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(blobs, recursive: true);
        }
    }

    private static async Task<(JobState State, long EndedAt)> WatchAsync(JobService.JobServiceClient client, string jobId, TaskCompletionSource opened)
    {
        using var call = client.WatchJob(new WatchJobRequest { JobId = jobId });
        var state = JobState.Unspecified;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            state = call.ResponseStream.Current.Job.State;
            opened.TrySetResult();
        }
        return (state, Stopwatch.GetTimestamp());
    }

    private static JobSpec Job(string datasetId) => new()
    {
        DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm",
        Hyperparameters = { ["number_of_iterations"] = "2" },
    };

    private static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient datasets)
    {
        var csv = "x,y\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{i},{i * 2}\n"));
        using var call = datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = "watch.csv", Format = DatasetFormat.Csv } });
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = Google.Protobuf.ByteString.CopyFromUtf8(csv) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    /// <summary>Sessions on the database now (<c>pg_stat_activity</c>, idle pooled ones included).</summary>
    internal static async Task<int> ConnectionsAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from pg_stat_activity where datname = @database", connection);
        command.Parameters.AddWithValue("database", database!);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>VmRSS of a process, in MB.</summary>
    private static double ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>The most sessions on a database seen at once, sampled every 50 ms until stopped.</summary>
    private sealed class ConnectionPeak : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _sampling;

        private ConnectionPeak(string connectionString) => _sampling = SampleAsync(connectionString, _stop.Token);

        public static ConnectionPeak Start(string connectionString) => new(connectionString);

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
                peak = Math.Max(peak, await ConnectionsAsync(connectionString));
                await Task.Delay(50, CancellationToken.None);
            }
            return peak;
        }
    }
}
