using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Benchmarks;

/// <summary>
/// The scheduler (docs/scheduling.md): dispatch latency, submit → Running as <c>WatchJob</c> reports it, p50/p99 over
/// sequential jobs with a warm, idle worker; and throughput of trivial jobs, submit → dispatch → complete, in jobs/s.
/// Targets on RabbitMQ + PostgreSQL: p99 ≤ 50 ms and ≥ 500 jobs/s, with and without a warm-up batch; standalone p99 ≤ 100 ms.
/// <list type="bullet">
/// <item><b>RabbitMQ + PostgreSQL</b> (when <c>PLATFORM_TEST_*</c> name the servers; <c>make bench</c> starts the local
/// ones): the model store and the scheduler as processes; the worker is a protocol-exact stand-in in this process
/// (heartbeats, <c>TrainingJobStarted</c>, the <c>CommitAttempt</c> gate, <c>TrainingJobCompleted</c>) that trains
/// nothing, so the figures are the scheduler's and the broker's, not ML.NET's. Measured twice: <b>without a warm-up
/// batch</b> (mode <c>rabbitmq+postgres, no warm-up</c>: latency and throughput each on processes started for them, every
/// job counted from the first), and <b>with one</b> (mode <c>rabbitmq+postgres</c>: an untimed batch of
/// <c>PLATFORM_BENCH_DISPATCH_WARMUP</c> throughput jobs, default 1000, then 20 untimed latency jobs, so the figures are
/// those of a warm scheduler in its steady state). Baseline on the same servers: a bare RabbitMQ round trip (publish →
/// consume → reply) with a PostgreSQL commit at each end, sequential for latency and with the same number of requests in
/// flight for throughput. Each throughput phase also prints what it cost the servers per job (<see cref="ServerWork"/>).</item>
/// <item><b>standalone</b> (SQLite, in-memory bus, one process): its own real worker, so a trivial job is the smallest
/// real training (LightGBM, 2 trees on 50 rows) and throughput includes it. Baseline: a bare <c>GetJob</c> round trip
/// to the same process.</item>
/// </list>
/// <c>PLATFORM_BENCH_DISPATCH_JOBS</c> sets the number of throughput jobs (default 2000; standalone a tenth);
/// <c>PLATFORM_BENCH_DISPATCH_STANDALONE=0</c> skips standalone; <c>PLATFORM_BENCH_SCHEDULER_ENV</c> (<c>;</c>-separated
/// <c>NAME=value</c>) sets environment variables of the scheduler processes alone, to compare runtime settings.
/// </summary>
public static class DispatchBenchmarks
{
    private const int LatencyWarmup = 20;
    private const int LatencySamples = 300;
    private const int InFlight = 32;
    /// <summary>Targets on RabbitMQ + PostgreSQL, with and without a warm-up batch (issue 17): every sweep trial is a job.</summary>
    private const string LatencyTarget = "<= 50";
    private const string ThroughputTarget = ">= 500";
    private const string WarmupVariable = "PLATFORM_BENCH_DISPATCH_WARMUP";

    /// <summary>Untimed throughput jobs before the warm figures on RabbitMQ + PostgreSQL (<c>PLATFORM_BENCH_DISPATCH_WARMUP</c>, default 1000).</summary>
    private static int WarmupJobs() =>
        int.TryParse(Environment.GetEnvironmentVariable(WarmupVariable), CultureInfo.InvariantCulture, out var n) ? n : 1000;

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync()
    {
        var jobs = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_DISPATCH_JOBS"), CultureInfo.InvariantCulture, out var n) ? n : 2000;
        var results = new List<BenchmarkResult>();
        if (Environment.GetEnvironmentVariable(PlatformServers.PostgresVariable) is { Length: > 0 })
            results.AddRange(await RabbitMqPostgresAsync(jobs));
        else
            Console.WriteLine($"dispatch: RabbitMQ + PostgreSQL skipped ({PlatformServers.PostgresVariable} not set; `make bench` starts local servers)");
        if (Environment.GetEnvironmentVariable("PLATFORM_BENCH_DISPATCH_STANDALONE") == "0")
        {
            Console.WriteLine("dispatch: standalone skipped (PLATFORM_BENCH_DISPATCH_STANDALONE=0)");
            return results;
        }
        try
        {
            results.AddRange(await StandaloneAsync(Math.Max(20, jobs / 10)));
        }
        catch (TimeoutException e)
        {
            // Said loudly, and the figures measured so far are kept.
            Console.WriteLine($"dispatch (standalone): NOT MEASURED: {e.Message.Split('\n')[0]}");
        }
        return results;
    }

    // ------------------------------------------------------------------ standalone

    private static async Task<IReadOnlyList<BenchmarkResult>> StandaloneAsync(int jobs)
    {
        const string mode = "standalone";
        var folder = Directory.CreateTempSubdirectory("dispatch-bench").FullName;
        try
        {
            await using var host = await ServiceProcess.StartAsync("Standalone", new Dictionary<string, string>
            {
                ["Platform__DataDirectory"] = folder,
                ["Logging__LogLevel__Platform"] = "Warning",
            });
            using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
            var client = new JobService.JobServiceClient(channel);
            var dataset = await UploadAsync(new DatasetService.DatasetServiceClient(channel), TinyCsv(50));
            Console.WriteLine($"dispatch ({mode}): latency over {LatencySamples} jobs with a warm worker");
            var latency = await DispatchLatencyAsync(client, dataset.Id, LatencyWarmup);
            var baseline = await SequentialAsync(LatencyWarmup * 10, LatencySamples * 10, async () =>
                await client.GetJobAsync(new GetJobRequest { JobId = latency.LastJob }));
            Console.WriteLine($"dispatch ({mode}): {jobs} trivial jobs, {InFlight} submitters");
            var throughput = await ThroughputAsync(client, dataset.Id, jobs);
            var calls = await ConcurrentRateAsync(InFlight, TimeSpan.FromSeconds(5), async () =>
                await client.GetJobAsync(new GetJobRequest { JobId = latency.LastJob }));
            const string data = "LightGBM 2 trees on 50 rows (real training); baseline: GetJob round trip";
            return Figures(mode, latency.Sorted, baseline, throughput, calls, data, "<= 100", "");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ------------------------------------------------------------------ RabbitMQ + PostgreSQL

    private static async Task<IReadOnlyList<BenchmarkResult>> RabbitMqPostgresAsync(int jobs)
    {
        const string mode = "rabbitmq+postgres";
        const string coldMode = "rabbitmq+postgres, no warm-up";
        await using var servers = new PlatformServersLease();
        await servers.Servers.InitializeAsync();

        // Without a warm-up batch: a scheduler and a model store started for the phase, nothing run on them before the
        // measured jobs (the first job is counted too), so the figures include the processes' JIT and first connections.
        // The latency jobs and the throughput jobs each get freshly started processes.
        // PLATFORM_BENCH_DISPATCH_PHASES (comma-separated cold-latency, cold-throughput, warm; default all) runs some phases
        // only, to compare two builds on one figure in less time; the figures are then printed, not recorded.
        var phases = Environment.GetEnvironmentVariable("PLATFORM_BENCH_DISPATCH_PHASES") is { Length: > 0 } only
            ? only.Split(',', StringSplitOptions.TrimEntries)
            : ["cold-latency", "cold-throughput", "warm"];
        double[] coldLatency = [0];
        if (phases.Contains("cold-latency"))
        await using (var cold = await BenchPlatform.StartAsync(servers.Servers, "dispatch_bench_cold_latency"))
        {
            Console.WriteLine($"dispatch ({coldMode}): latency over {LatencySamples} jobs, the first one included, on a scheduler just started");
            coldLatency = (await DispatchLatencyAsync(cold.Client, cold.DatasetId, warmup: 0)).Sorted;
            await cold.Trace.PrintAsync("latency jobs, no warm-up", cold.Processes.SchedulerDatabase);
        }
        double coldThroughput = 0;
        if (phases.Contains("cold-throughput"))
        await using (var cold = await BenchPlatform.StartAsync(servers.Servers, "dispatch_bench_cold_throughput"))
        {
            Console.WriteLine($"dispatch ({coldMode}): {jobs} trivial jobs, {InFlight} submitters, on a scheduler just started");
            coldThroughput = await MeasuredThroughputAsync(cold, jobs, "throughput jobs, no warm-up");
        }

        // With one: the same processes run an untimed batch first, so the figures are those of a warm scheduler (steady state).
        double[] latency = [0];
        double throughput = 0;
        if (phases.Contains("warm"))
        await using (var warm = await BenchPlatform.StartAsync(servers.Servers, "dispatch_bench"))
        {
            // A scheduler that has run for a while has compiled and tiered up its code (the JIT was ~14 % of its CPU in a
            // 1,000-job run without this). Not timed, not counted in the server work.
            var warmup = WarmupJobs();
            Console.WriteLine($"dispatch ({mode}): {warmup} untimed warm-up jobs ({WarmupVariable})");
            if (warmup > 0) await ThroughputAsync(warm.Client, warm.DatasetId, warmup, warm.Trace.CompletedCount);
            warm.Trace.Clear();
            Console.WriteLine($"dispatch ({mode}): latency over {LatencySamples} jobs with a warm worker");
            latency = (await DispatchLatencyAsync(warm.Client, warm.DatasetId, LatencyWarmup)).Sorted;
            await warm.Trace.PrintAsync("latency jobs", warm.Processes.SchedulerDatabase);
            warm.Trace.Clear();
            Console.WriteLine($"dispatch ({mode}): {jobs} trivial jobs, {InFlight} submitters");
            throughput = await MeasuredThroughputAsync(warm, jobs, "throughput jobs");
            if (DispatchTrace.ListensToStateChanges)
            {
                var log = Path.Combine(ServiceProcess.RepositoryRoot(), "artifacts", "dispatch-bench-scheduler.log");
                Directory.CreateDirectory(Path.GetDirectoryName(log)!);
                await File.WriteAllTextAsync(log, warm.Processes.Scheduler.Output);
                Console.WriteLine($"  scheduler log: {log}");
            }
        }

        var baselineDb = await servers.Servers.CreateDatabaseAsync("dispatch_bench_baseline");
        var baselineVhost = await servers.Servers.CreateVirtualHostAsync("dispatch-bench-baseline");
        await using var roundTrip = await BrokerRoundTrip.StartAsync(baselineVhost, baselineDb);
        var baseline = await SequentialAsync(LatencyWarmup * 5, LatencySamples * 3, roundTrip.RunAsync);
        var trips = await ConcurrentRateAsync(InFlight, TimeSpan.FromSeconds(8), roundTrip.RunAsync);
        const string data = "stand-in worker (no training); baseline: RabbitMQ publish→consume→reply + a PostgreSQL commit at each end";
        if (phases.Length < 3)
        {
            BenchmarkReport.Print([.. Figures(mode, latency, baseline, throughput, trips, data, LatencyTarget, ThroughputTarget),
                .. Figures(coldMode, coldLatency, baseline, coldThroughput, trips, data, LatencyTarget, ThroughputTarget)]);
            Console.WriteLine("dispatch: some phases only (PLATFORM_BENCH_DISPATCH_PHASES): the figures above are not recorded");
            return [];
        }
        return
        [
            .. Figures(mode, latency, baseline, throughput, trips, data, LatencyTarget, ThroughputTarget),
            .. Figures(coldMode, coldLatency, baseline, coldThroughput, trips, data, LatencyTarget, ThroughputTarget),
        ];
    }

    /// <summary>Throughput of <paramref name="jobs"/> jobs on <paramref name="platform"/>, with what they cost the servers and where their time went.</summary>
    private static async Task<double> MeasuredThroughputAsync(BenchPlatform platform, int jobs, string phase)
    {
        var processes = platform.Processes;
        var work = await ServerWork.StartAsync([("scheduler", processes.SchedulerDatabase), ("store", processes.StoreDatabase)],
            platform.Management, processes.VirtualHost,
            [("scheduler", processes.Scheduler.ProcessId), ("store", processes.Store.ProcessId), ("bench", Environment.ProcessId)]);
        var before = await work.ReadAsync();
        var throughput = await ThroughputAsync(platform.Client, platform.DatasetId, jobs, platform.Trace.CompletedCount);
        ServerWork.Print(phase, before, await work.ReadAsync(), jobs);
        await platform.Trace.PrintAsync(phase, processes.SchedulerDatabase);
        platform.Trace.Clear();
        return throughput;
    }

    /// <summary>
    /// The scheduler and the model store as processes on fresh databases and a fresh virtual host, a stand-in worker for
    /// them, a client of the scheduler (with the service credential, as the gateway calls it) and a tiny data set.
    /// </summary>
    private sealed class BenchPlatform : IAsyncDisposable
    {
        private readonly GrpcChannel _storeChannel;
        private readonly GrpcChannel _schedulerChannel;
        private readonly StandInWorker _worker;

        private BenchPlatform(SchedulerProcesses processes, Uri management, DispatchTrace trace, StandInWorker worker,
            GrpcChannel storeChannel, GrpcChannel schedulerChannel, string datasetId)
        {
            Processes = processes;
            Management = management;
            Trace = trace;
            _worker = worker;
            _storeChannel = storeChannel;
            _schedulerChannel = schedulerChannel;
            Client = new JobService.JobServiceClient(schedulerChannel);
            DatasetId = datasetId;
        }

        public SchedulerProcesses Processes { get; }
        public Uri Management { get; }
        public DispatchTrace Trace { get; }
        public JobService.JobServiceClient Client { get; }
        public string DatasetId { get; }

        public static async Task<BenchPlatform> StartAsync(PlatformServers servers, string name)
        {
            var schedulerSettings = new Dictionary<string, string>();
            if (DispatchTrace.ListensToStateChanges) schedulerSettings["Logging__LogLevel__Platform.Scheduler.Jobs"] = "Debug";
            // Runtime or platform settings to try on the scheduler alone, e.g. "DOTNET_gcServer=0;Scheduler__SweepInterval=00:00:02".
            BenchSettings.AddFrom("PLATFORM_BENCH_SCHEDULER_ENV", schedulerSettings);
            var processes = await SchedulerProcesses.StartAsync(servers, name, schedulerSettings);
            var trace = new DispatchTrace();
            var worker = await StandInWorker.StartAsync(processes.VirtualHost, capacity: InFlight * 2, trace);
            var storeChannel = InternalCaller.Channel(processes.Store.GrpcAddress);
            var schedulerChannel = InternalCaller.Channel(processes.Scheduler.GrpcAddress);
            var dataset = await UploadAsync(new DatasetService.DatasetServiceClient(storeChannel), TinyCsv(50));
            return new BenchPlatform(processes, servers.RabbitMqManagementUri, trace, worker, storeChannel, schedulerChannel, dataset.Id);
        }

        public async ValueTask DisposeAsync()
        {
            _worker.Dispose();
            _storeChannel.Dispose();
            _schedulerChannel.Dispose();
            await Processes.DisposeAsync();
        }
    }

    // ------------------------------------------------------------------ measurements

    private static IReadOnlyList<BenchmarkResult> Figures(string mode, double[] latency, double[] baseline, double jobsPerSecond, double baselinePerSecond,
        string data, string latencyTarget, string throughputTarget)
    {
        var p50 = Quantile(latency, 0.50);
        var p99 = Quantile(latency, 0.99);
        var b50 = Quantile(baseline, 0.50);
        var b99 = Quantile(baseline, 0.99);
        return
        [
            new("scheduler.dispatch_latency.p50", p50, "ms", b50, p50 / b50, "", data, mode),
            new("scheduler.dispatch_latency.p99", p99, "ms", b99, p99 / b99, latencyTarget, data, mode),
            new("scheduler.throughput", jobsPerSecond, "jobs/s", baselinePerSecond, jobsPerSecond / baselinePerSecond, throughputTarget, data, mode),
        ];
    }

    /// <summary>
    /// Submit, then read <c>WatchJob</c> until the job is Running (or later); wait for its end before the next. The first
    /// <paramref name="warmup"/> jobs are not counted.
    /// </summary>
    private static async Task<(double[] Sorted, string LastJob)> DispatchLatencyAsync(JobService.JobServiceClient client, string datasetId, int warmup)
    {
        var samples = new List<double>();
        var firsts = new List<double>();
        var last = "";
        for (var i = 0; i < warmup + LatencySamples; i++)
        {
            var clock = Stopwatch.StartNew();
            var job = await client.SubmitJobAsync(new SubmitJobRequest { Spec = TrivialJob(datasetId) });
            using var watch = client.WatchJob(new WatchJobRequest { JobId = job.Id });
            double? running = null;
            await foreach (var update in watch.ResponseStream.ReadAllAsync())
            {
                running ??= update.Job.State is JobState.Queued ? null : clock.Elapsed.TotalMilliseconds;
                if (update.Job.State is JobState.Succeeded) break;
                if (update.Job.State is JobState.Failed or JobState.Cancelled or JobState.TimedOut)
                    throw new InvalidOperationException($"benchmark job {job.Id} ended {update.Job.State}: {update.Job.FailureReason}");
            }
            if (i >= warmup) samples.Add(running ?? throw new InvalidOperationException("the watch ended before the job ran"));
            if (i < 5) firsts.Add(running ?? 0);
            last = job.Id;
        }
        samples.Sort();
        Console.WriteLine($"  p50 {Quantile([.. samples], 0.5):0.0} ms, p99 {Quantile([.. samples], 0.99):0.0} ms, max {samples[^1]:0.0} ms" +
            (warmup == 0 ? $"; the first jobs: {string.Join(" / ", firsts.Select(ms => ms.ToString("0.0", CultureInfo.InvariantCulture)))} ms" : ""));
        return ([.. samples], last);
    }

    /// <summary>
    /// <paramref name="jobs"/> jobs from <see cref="InFlight"/> concurrent submitters; jobs/s until none is queued or running
    /// any more, then checks that every one of them succeeded. (With the stand-in worker, the wait first counts the completions it
    /// has published, then polls two one-row <c>ListJobs</c> pages: polling all along cost the scheduler under test a few
    /// transactions per job, and counting every succeeded job on each poll thousands of rows a second.)
    /// </summary>
    private static async Task<double> ThroughputAsync(JobService.JobServiceClient client, string datasetId, int jobs, Func<int>? completed = null)
    {
        var before = await CountSucceededAsync(client);
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= jobs)
                await client.SubmitJobAsync(new SubmitJobRequest { Spec = TrivialJob(datasetId) });
        })));
        var submitted = clock.Elapsed.TotalSeconds;
        // Until the worker has completed them all, without asking the scheduler under test; then until it has recorded them.
        while (completed is not null && completed() < jobs && clock.Elapsed < TimeSpan.FromMinutes(10)) await Task.Delay(10);
        while (await AnyAsync(client, JobState.Queued) || await AnyAsync(client, JobState.Running))
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"not all of {jobs} jobs ended in 10 minutes");
            await Task.Delay(20);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var done = await CountSucceededAsync(client) - before;
        if (done != jobs) throw new InvalidOperationException($"only {done} of {jobs} benchmark jobs succeeded");
        var rate = jobs / elapsed;
        Console.WriteLine($"  {jobs} jobs in {elapsed:0.00} s (all submitted after {submitted:0.00} s): {rate:0} jobs/s");
        return rate;
    }

    private static async Task<bool> AnyAsync(JobService.JobServiceClient client, JobState state) =>
        (await client.ListJobsAsync(new ListJobsRequest { State = state, PageSize = 1 })).Jobs.Count > 0;

    private static async Task<int> CountSucceededAsync(JobService.JobServiceClient client)
    {
        var count = 0;
        var token = "";
        do
        {
            var page = await client.ListJobsAsync(new ListJobsRequest { State = JobState.Succeeded, PageSize = 500, PageToken = token });
            count += page.Jobs.Count;
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return count;
    }

    private static async Task<double[]> SequentialAsync(int warmup, int samples, Func<Task> call)
    {
        for (var i = 0; i < warmup; i++) await call();
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await call();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    private static async Task<double> ConcurrentRateAsync(int inFlight, TimeSpan duration, Func<Task> call)
    {
        var count = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                await call();
                Interlocked.Increment(ref count);
            }
        })));
        return count / clock.Elapsed.TotalSeconds;
    }

    internal static double Quantile(double[] sorted, double quantile) => sorted[(int)Math.Ceiling(quantile * sorted.Length) - 1];

    internal static JobSpec TrivialJob(string datasetId) => new()
    {
        DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", ModelName = "dispatch-bench",
        Hyperparameters = { ["number_of_iterations"] = "2", ["number_of_leaves"] = "2", ["minimum_example_count_per_leaf"] = "2" },
    };

    internal static byte[] TinyCsv(int rows)
    {
        var random = new Random(3);
        var csv = new StringBuilder("x0,x1,y\n");
        for (var i = 0; i < rows; i++)
        {
            double a = random.NextDouble(), b = random.NextDouble();
            csv.Append(CultureInfo.InvariantCulture, $"{a:R},{b:R},{a + b:R}\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    internal static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient datasets, byte[] csv)
    {
        using var call = datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = "tiny.csv", Format = DatasetFormat.Csv } });
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(csv) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    /// <summary>The servers named by the environment, and what was created on them dropped at the end.</summary>
    internal sealed class PlatformServersLease : IAsyncDisposable
    {
        public PlatformServers Servers { get; } = new();

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            await Servers.DisposeAsync();
        }
    }

    /// <summary>
    /// Where a job's time goes, hop by hop, for the jobs of one phase: the scheduler's own timestamps (submitted, claimed
    /// by the dispatch pass, commit granted) read from its database, and what the stand-in worker saw (command received,
    /// Started published, commit answered, Completed published). With <c>PLATFORM_BENCH_DISPATCH_TRACE=1</c> the stand-in
    /// also listens to <see cref="TrainingJobStateChanged"/>, which tells when the scheduler committed Running and
    /// Succeeded (an extra queue on the broker, so off by default). All times are this machine's UTC clock.
    /// </summary>
    private sealed class DispatchTrace
    {
        public static bool ListensToStateChanges => Environment.GetEnvironmentVariable("PLATFORM_BENCH_DISPATCH_TRACE") == "1";

        private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Hops> _jobs = new();

        public sealed class Hops
        {
            public DateTimeOffset? Received, StartedSent, CommitAnswered, CompletedSent, RunningSeen, SucceededSeen;
        }

        public Hops Of(Guid jobId) => _jobs.GetOrAdd(jobId, _ => new Hops());

        public void Clear() => _jobs.Clear();

        /// <summary>Jobs whose completion the stand-in worker has published since <see cref="Clear"/>.</summary>
        public int CompletedCount() => _jobs.Values.Count(hops => hops.CompletedSent is not null);

        public async Task PrintAsync(string phase, string schedulerDatabase)
        {
            var ids = _jobs.Keys.ToArray();
            var stored = new Dictionary<Guid, (DateTime Created, DateTime? Dispatched, DateTime? Committed)>();
            await using (var source = NpgsqlDataSource.Create(schedulerDatabase))
            await using (var query = source.CreateCommand("select id, created_at, dispatched_at, commit_granted_at from training_jobs where id = any($1)"))
            {
                query.Parameters.AddWithValue(ids);
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    stored[reader.GetGuid(0)] = (reader.GetDateTime(1), reader.IsDBNull(2) ? null : reader.GetDateTime(2), reader.IsDBNull(3) ? null : reader.GetDateTime(3));
            }
            static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
            var rows = ids.Where(stored.ContainsKey).Select(id => (Hops: _jobs[id], Created: Utc(stored[id].Created), Dispatched: Utc(stored[id].Dispatched),
                Committed: Utc(stored[id].Committed))).ToList();
            Console.WriteLine($"  where the time goes ({phase}, {rows.Count} jobs; ms, p50 / p90 / p99 / max):");
            void Hop(string name, Func<(Hops Hops, DateTimeOffset? Created, DateTimeOffset? Dispatched, DateTimeOffset? Committed), (DateTimeOffset? From, DateTimeOffset? To)> span)
            {
                var values = rows.Select(span).Where(s => s.From is not null && s.To is not null)
                    .Select(s => (s.To!.Value - s.From!.Value).TotalMilliseconds).Order().ToArray();
                if (values.Length == 0) return;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {name,-44} {Quantile(values, 0.5),8:0.0} {Quantile(values, 0.9),8:0.0} {Quantile(values, 0.99),8:0.0} {values[^1],8:0.0}"));
            }
            Hop("submitted → claimed by the dispatch pass", r => (r.Created, r.Dispatched));
            Hop("claimed → TrainModel received by the worker", r => (r.Dispatched, r.Hops.Received));
            Hop("received → Started published (confirmed)", r => (r.Hops.Received, r.Hops.StartedSent));
            Hop("Started published → Running committed", r => (r.Hops.StartedSent, r.Hops.RunningSeen));
            Hop("Started published → commit answered", r => (r.Hops.StartedSent, r.Hops.CommitAnswered));
            Hop("  of which: commit granted (scheduler clock)", r => (r.Hops.StartedSent, r.Committed));
            Hop("commit answered → Completed published", r => (r.Hops.CommitAnswered, r.Hops.CompletedSent));
            Hop("Completed published → Succeeded committed", r => (r.Hops.CompletedSent, r.Hops.SucceededSeen));
            Hop("slot held: claimed → Succeeded committed", r => (r.Dispatched, r.Hops.SucceededSeen));
            Hop("claimed → Completed published", r => (r.Dispatched, r.Hops.CompletedSent));
        }
    }

    /// <summary>
    /// A worker that speaks the protocol and trains nothing: announces its slots every second, and for each
    /// <see cref="TrainModel"/> publishes Started, asks the commit gate, and publishes Completed.
    /// </summary>
    private sealed class StandInWorker : IDisposable
    {
        private const string Name = "bench-worker";
        private readonly IHost _host;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _heartbeats;

        private StandInWorker(IHost host, int capacity)
        {
            _host = host;
            _heartbeats = HeartbeatsAsync(host.Services.GetRequiredService<IBus>(), capacity, _stop.Token);
        }

        public static async Task<StandInWorker> StartAsync(string vhost, int capacity, DispatchTrace trace)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Messaging:Transport"] = "RabbitMq",
                ["ConnectionStrings:RabbitMq"] = vhost,
            });
            builder.Services.AddSingleton(trace);
            builder.AddMessaging(bus =>
            {
                bus.AddConsumer<StandInTrainModelConsumer>(typeof(StandInTrainModelConsumerDefinition));
                if (DispatchTrace.ListensToStateChanges) bus.AddConsumer<StateChangeRecorder>();
            });
            builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
            var host = builder.Build();
            await host.StartAsync();
            var worker = new StandInWorker(host, capacity);
            await Task.Delay(TimeSpan.FromSeconds(2)); // the scheduler has seen the first heartbeat
            return worker;
        }

        private static async Task HeartbeatsAsync(IBus bus, int capacity, CancellationToken cancellationToken)
        {
            var client = bus.CreateRequestClient<WorkerHeartbeat>(TimeSpan.FromSeconds(5));
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await client.GetResponse<WorkerHeartbeatAcknowledged>(
                        new WorkerHeartbeat { Worker = Name, Capacity = capacity, At = DateTimeOffset.UtcNow }, cancellationToken);
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (RequestTimeoutException)
                {
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _heartbeats.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
            _host.StopAsync().GetAwaiter().GetResult();
            _host.Dispose();
            _stop.Dispose();
        }

        public sealed class StandInTrainModelConsumer(IBus bus, DispatchTrace trace) : IConsumer<TrainModel>
        {
            public async Task Consume(ConsumeContext<TrainModel> context)
            {
                var job = context.Message;
                var hops = trace.Of(job.JobId);
                hops.Received = DateTimeOffset.UtcNow;
                await context.Publish(new TrainingJobStarted(job.JobId, job.Attempt, Name, DateTimeOffset.UtcNow));
                hops.StartedSent = DateTimeOffset.UtcNow;
                var gate = bus.CreateRequestClient<CommitAttempt>(TimeSpan.FromSeconds(30));
                var decision = await gate.GetResponse<CommitDecision>(new CommitAttempt(job.JobId, job.Attempt, Name));
                hops.CommitAnswered = DateTimeOffset.UtcNow;
                if (!decision.Message.Allowed) return;
                await context.Publish(new TrainingJobCompleted
                {
                    JobId = job.JobId, Attempt = job.Attempt, ModelName = job.ModelName, ModelVersion = 1, ModelSha256 = new string('0', 64),
                    TrainingSeconds = 0, Worker = Name, At = DateTimeOffset.UtcNow,
                });
                hops.CompletedSent = DateTimeOffset.UtcNow;
            }
        }

        public sealed class StandInTrainModelConsumerDefinition : ConsumerDefinition<StandInTrainModelConsumer>
        {
            public StandInTrainModelConsumerDefinition() => ConcurrentMessageLimit = InFlight * 2;

            protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
                IConsumerConfigurator<StandInTrainModelConsumer> consumerConfigurator, IRegistrationContext context)
            {
                endpointConfigurator.PrefetchCount = InFlight * 2;
            }
        }

        /// <summary>When the scheduler committed Running and Succeeded (see <see cref="DispatchTrace"/>).</summary>
        public sealed class StateChangeRecorder(DispatchTrace trace) : IConsumer<TrainingJobStateChanged>
        {
            public Task Consume(ConsumeContext<TrainingJobStateChanged> context)
            {
                var change = context.Message;
                var hops = trace.Of(change.JobId);
                if (change.State == "Running") hops.RunningSeen ??= DateTimeOffset.UtcNow;
                if (change.State == "Succeeded") hops.SucceededSeen ??= DateTimeOffset.UtcNow;
                return Task.CompletedTask;
            }
        }
    }

    /// <summary>
    /// The baseline: one request and its reply through RabbitMQ, with a PostgreSQL commit where the scheduler commits
    /// (the request is recorded before it is sent, the consumer records its answer), on the same servers.
    /// </summary>
    internal sealed class BrokerRoundTrip : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _requests;
        private readonly IChannel _replies;
        private readonly NpgsqlDataSource _database;
        private readonly string _replyQueue;
        private readonly Dictionary<Guid, TaskCompletionSource> _pending = [];
        private readonly SemaphoreSlim _publish = new(1, 1);

        private BrokerRoundTrip(IConnection connection, IChannel requests, IChannel replies, NpgsqlDataSource database, string replyQueue)
        {
            _connection = connection;
            _requests = requests;
            _replies = replies;
            _database = database;
            _replyQueue = replyQueue;
        }

        public static async Task<BrokerRoundTrip> StartAsync(string vhost, string database)
        {
            var source = NpgsqlDataSource.Create(database);
            await using (var create = source.CreateCommand("create table trips (id uuid primary key, answered boolean not null default false)"))
                await create.ExecuteNonQueryAsync();
            var connection = await new ConnectionFactory { Uri = new Uri(vhost), ConsumerDispatchConcurrency = InFlight }.CreateConnectionAsync();
            var requests = await connection.CreateChannelAsync();
            var replies = await connection.CreateChannelAsync();
            await requests.QueueDeclareAsync("trips", durable: true, exclusive: false, autoDelete: false);
            var replyQueue = (await replies.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
            var trip = new BrokerRoundTrip(connection, requests, replies, source, replyQueue);

            var server = await connection.CreateChannelAsync();
            await server.BasicQosAsync(0, (ushort)(InFlight * 2), false);
            var consumer = new AsyncEventingBasicConsumer(server);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var id = new Guid(delivery.Body.Span);
                await using (var update = source.CreateCommand("update trips set answered = true where id = $1"))
                {
                    update.Parameters.AddWithValue(id);
                    await update.ExecuteNonQueryAsync();
                }
                await trip.PublishAsync(server, delivery.BasicProperties.ReplyTo!, delivery.Body.ToArray(), null);
                await server.BasicAckAsync(delivery.DeliveryTag, false);
            };
            await server.BasicConsumeAsync("trips", autoAck: false, consumer);

            var replyConsumer = new AsyncEventingBasicConsumer(replies);
            replyConsumer.ReceivedAsync += (_, delivery) =>
            {
                var id = new Guid(delivery.Body.Span);
                TaskCompletionSource? done;
                lock (trip._pending) trip._pending.Remove(id, out done);
                done?.TrySetResult();
                return Task.CompletedTask;
            };
            await replies.BasicConsumeAsync(replyQueue, autoAck: true, replyConsumer);
            return trip;
        }

        public async Task RunAsync()
        {
            var id = Guid.NewGuid();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pending) _pending[id] = done;
            await using (var insert = _database.CreateCommand("insert into trips (id) values ($1)"))
            {
                insert.Parameters.AddWithValue(id);
                await insert.ExecuteNonQueryAsync();
            }
            await PublishAsync(_requests, "trips", id.ToByteArray(), _replyQueue);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        private async Task PublishAsync(IChannel channel, string queue, byte[] body, string? replyTo)
        {
            var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ReplyTo = replyTo };
            // A channel must not publish from two threads at once.
            await _publish.WaitAsync();
            try
            {
                await channel.BasicPublishAsync("", queue, mandatory: false, properties, body);
            }
            finally
            {
                _publish.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _requests.DisposeAsync();
            await _replies.DisposeAsync();
            await _connection.DisposeAsync();
            await _database.DisposeAsync();
            _publish.Dispose();
        }
    }
}
