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
        try
        {
            await using var platform = await SchedulerProcesses.StartAsync(servers, "watch_bench");
            var (schedulerDb, scheduler) = (platform.SchedulerDatabase, platform.Scheduler);
            // Straight to the backends, with the service credential. Kestrel serves 100 streams per HTTP/2 connection; the
            // client opens as many connections as it needs (InternalCaller's handler allows several).
            using var storeChannel = InternalCaller.Channel(platform.Store.GrpcAddress);
            using var channel = InternalCaller.Channel(scheduler.GrpcAddress);
            var client = new JobService.JobServiceClient(channel);
            var dataset = await DispatchBenchmarks.UploadAsync(new DatasetService.DatasetServiceClient(storeChannel), DispatchBenchmarks.TinyCsv(50));

            var loadBefore = TrainingOverhead.LoadAverage();
            Console.WriteLine($"watchers ({Mode}): {watchers} queued jobs, then a stream on each, then each cancelled; load average {loadBefore}");
            var jobs = new string[watchers];
            await Parallel.ForAsync(0, watchers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
                jobs[i] = (await client.SubmitJobAsync(new SubmitJobRequest { Spec = DispatchBenchmarks.TrivialJob(dataset.Id) }, cancellationToken: ct)).Id);
            // Settled: what the scheduler holds with the jobs and no stream.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var baselineConnections = await ConnectionSampler.CountAsync(schedulerDb);
            var baselineMemory = ResidentMegabytes(scheduler.ProcessId);

            await using var sampler = ConnectionSampler.Start(schedulerDb);
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
            var (p50, p99) = (DispatchBenchmarks.Quantile(delays, 0.5), DispatchBenchmarks.Quantile(delays, 0.99));

            Console.WriteLine($"  {watchers} streams open after {openSeconds:0.0} s; scheduler PostgreSQL connections at most {peak} " +
                              $"(without streams {baselineConnections}); resident memory {memory:0} MB (without streams {baselineMemory:0} MB); " +
                              $"Cancelled reached each stream {p50:0} ms (p50) / {p99:0} ms (p99) after CancelJob returned");
            var data = $"{watchers} concurrent WatchJob streams, one per queued job, each job then cancelled; baseline: the same scheduler before the streams; load average {loadBefore} before, {TrainingOverhead.LoadAverage()} after";
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

    /// <summary>VmRSS of a process, in MB.</summary>
    private static double ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
