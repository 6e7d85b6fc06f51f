using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Sweeps.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// Issue 17, acceptance 3: what the sweep engine costs per trial, on real sweeps (<c>SweepService.SubmitSweep</c>, the
/// scheduler's sweep supervisor and dispatch) on RabbitMQ + PostgreSQL with real worker processes. The model store and the
/// scheduler run as processes (<see cref="SchedulerProcesses"/>, the scheduler with <c>Scheduler:BenchmarkTrainers</c>),
/// and so do up to 8 worker hosts (<c>Worker:BenchmarkTrainers</c>, one slot each). Every trial is
/// <c>benchmark_wait</c> (docs/sweeps.md): no data read, no ML.NET; it waits <c>wait_ms</c> on a timer and reports
/// <c>rmse</c> of its searched <c>x</c>. A random sweep runs <c>max_parallel</c> = W trials at once on W workers.
/// Its wall time runs from <c>SubmitSweep</c> until the last trial's end is committed (read from the scheduler's database
/// every 20 ms, which asks nothing of the scheduler); each sweep then ends Failed, as a sweep of a benchmark trainer
/// must (its final job cannot register a model), before the next starts.
/// <list type="bullet">
/// <item><b>Orchestration overhead per trial</b>: <c>PLATFORM_BENCH_SWEEP_TRIALS</c> (200) trials that return at once, on
/// 8 workers: (wall × 8 − Σ trial work) ÷ trials, where a trial's work is the time its worker measured around the wait
/// (target ≤ 10 ms; Ray Tune documents about 9 ms). Baseline: the same number of bare units of work, 8 at a time, each a
/// RabbitMQ round trip with a PostgreSQL commit at each end (the dispatch benchmark's), by the same formula: the least a
/// broker-and-database orchestrator pays per unit of work on these servers at this load.</item>
/// <item><b>Parallel efficiency</b>: for W = 1, 2, 4, 8, <c>PLATFORM_BENCH_SWEEP_ROUNDS</c> (8) × W trials that each wait
/// <c>PLATFORM_BENCH_SWEEP_WAIT_MS</c> (1000): ideal (rounds × wait) ÷ measured (target ≥ 0.9 at W = 8). Baseline: the
/// same waits on W concurrent loops in this process, the same formula.</item>
/// </list>
/// Each run records the load average (<c>uptime</c>) before and after it. <c>PLATFORM_BENCH_SWEEP=overhead</c> or
/// <c>=efficiency</c> runs one of the two.
/// </summary>
public static class SweepOrchestration
{
    private const int MaxWorkers = 8;
    private static readonly int[] Parallelism = [1, 2, 4, 8];
    private const string Mode = "rabbitmq+postgres";

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync()
    {
        if (Environment.GetEnvironmentVariable(PlatformServers.PostgresVariable) is not { Length: > 0 })
        {
            Console.WriteLine($"sweeps: skipped ({PlatformServers.PostgresVariable} not set; `make bench` starts local servers)");
            return [];
        }
        var trials = Setting("PLATFORM_BENCH_SWEEP_TRIALS", 200);
        var rounds = Setting("PLATFORM_BENCH_SWEEP_ROUNDS", 8);
        var waitMs = Setting("PLATFORM_BENCH_SWEEP_WAIT_MS", 1000);

        await using var servers = new DispatchBenchmarks.PlatformServersLease();
        await servers.Servers.InitializeAsync();
        await using var platform = await SchedulerProcesses.StartAsync(servers.Servers, "sweep_bench",
            new Dictionary<string, string> { ["Scheduler__BenchmarkTrainers"] = "true" });
        await using var workers = new Workers(platform);
        using var storeChannel = InternalCaller.Channel(platform.Store.GrpcAddress);
        using var schedulerChannel = InternalCaller.Channel(platform.Scheduler.GrpcAddress);
        var client = new SweepService.SweepServiceClient(schedulerChannel);
        var dataset = await DispatchBenchmarks.UploadAsync(new DatasetService.DatasetServiceClient(storeChannel), DispatchBenchmarks.TinyCsv(50));
        var sweeps = new SweepRunner(client, platform.SchedulerDatabase, dataset.Id);
        var results = new List<BenchmarkResult>();
        var part = Environment.GetEnvironmentVariable("PLATFORM_BENCH_SWEEP") ?? "";

        foreach (var w in part == "overhead" ? [] : Parallelism)
        {
            await workers.EnsureAsync(w);
            await WarmUpAsync(sweeps, w);
            var load = TrainingOverhead.LoadAverage();
            var run = await sweeps.RunAsync(trials: rounds * w, waitMs, parallel: w);
            var inProcess = await InProcessAsync(rounds, waitMs, w);
            var ideal = rounds * waitMs / 1000.0;
            var efficiency = ideal / run.WallSeconds;
            var baseline = ideal / inProcess;
            var loads = $"load {load} → {TrainingOverhead.LoadAverage()}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sweeps: W = {w}: {rounds * w} trials of {waitMs} ms in {run.WallSeconds:0.000} s (ideal {ideal:0.000} s): efficiency {efficiency:0.000}; " +
                $"in process {inProcess:0.000} s ({baseline:0.000}); per-trial overhead {run.OverheadMs(w):0.0} ms; {loads}"));
            run.PrintHops();
            results.Add(new($"sweeps.parallel_efficiency.w{w}", efficiency, "ideal/measured", baseline, efficiency / baseline, w == MaxWorkers ? ">= 0.9" : "",
                $"random sweep of {rounds * w} benchmark_wait trials of {waitMs} ms, max_parallel {w}, on {w} worker processes; " +
                $"baseline: the same waits on {w} loops in process; {loads}", Mode));
        }

        if (part == "efficiency") return results;
        await workers.EnsureAsync(MaxWorkers);
        await WarmUpAsync(sweeps, MaxWorkers);
        var work = await ServerWork.StartAsync([("scheduler", platform.SchedulerDatabase), ("store", platform.StoreDatabase)],
            servers.Servers.RabbitMqManagementUri, platform.VirtualHost,
            [("scheduler", platform.Scheduler.ProcessId), ("store", platform.Store.ProcessId), .. workers.Processes]);
        var idle = await work.ReadAsync();
        var before = await work.ReadAsync();
        var idleSeconds = workers.Processes.Select(p => before.CpuSeconds[p.Name] - idle.CpuSeconds[p.Name]).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sweeps: idle workers used {idleSeconds.Average() / ServerWork.SettleTime.TotalSeconds * 100:0.0} % of a core each " +
            $"(most {idleSeconds.Max() / ServerWork.SettleTime.TotalSeconds * 100:0.0} %), scheduler {(before.CpuSeconds["scheduler"] - idle.CpuSeconds["scheduler"]) / ServerWork.SettleTime.TotalSeconds * 100:0.0} %"));
        var overheadLoad = TrainingOverhead.LoadAverage();
        var overhead = await sweeps.RunAsync(trials, waitMs: 0, parallel: MaxWorkers);
        var sweepLoad = $"{overheadLoad} → {TrainingOverhead.LoadAverage()}";
        ServerWork.Print("trivial trials", before, await work.ReadAsync(), trials);
        var bare = await BareOverheadAsync(servers.Servers, trials);
        var perTrial = overhead.OverheadMs(MaxWorkers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sweeps: {trials} trivial trials on {MaxWorkers} workers in {overhead.WallSeconds:0.000} s ({trials / overhead.WallSeconds:0} trials/s), " +
            $"trial work {overhead.WorkSeconds * 1000:0.0} ms in all: overhead {perTrial:0.00} ms per trial; bare round trips {bare:0.00} ms; load {sweepLoad}"));
        overhead.PrintHops();
        results.Add(new("sweeps.orchestration_overhead_per_trial", perTrial, "ms", bare, perTrial / bare, "<= 10",
            $"random sweep of {trials} benchmark_wait trials returning at once, max_parallel {MaxWorkers}, on {MaxWorkers} worker processes: " +
            $"(wall × {MaxWorkers} − trial work) ÷ trials; baseline: RabbitMQ round trips with a PostgreSQL commit at each end, {MaxWorkers} at a time; " +
            $"load {sweepLoad}", Mode));
        return results;
    }

    /// <summary>
    /// Untimed: 8 trivial trials per worker, so that the workers just started (and, the first time, the scheduler's sweep
    /// path) have compiled their code before a timed run.
    /// </summary>
    private static async Task WarmUpAsync(SweepRunner sweeps, int workers) => await sweeps.RunAsync(trials: 8 * workers, waitMs: 0, parallel: workers, quiet: true);

    private static int Setting(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    /// <summary>The efficiency baseline: <paramref name="rounds"/> waits one after another on each of <paramref name="loops"/> loops; wall seconds.</summary>
    private static async Task<double> InProcessAsync(int rounds, int waitMs, int loops)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < rounds; i++) await Task.Delay(waitMs);
        })));
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The overhead baseline: <paramref name="units"/> bare round trips, <see cref="MaxWorkers"/> at a time; ms per unit by the trials' formula.</summary>
    private static async Task<double> BareOverheadAsync(PlatformServers servers, int units)
    {
        var database = await servers.CreateDatabaseAsync("sweep_bench_baseline");
        var vhost = await servers.CreateVirtualHostAsync("sweep-bench-baseline");
        await using var trip = await DispatchBenchmarks.BrokerRoundTrip.StartAsync(vhost, database);
        for (var i = 0; i < 100; i++) await trip.RunAsync();
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, MaxWorkers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= units) await trip.RunAsync();
        })));
        return clock.Elapsed.TotalSeconds * MaxWorkers / units * 1000;
    }

    /// <summary>Worker hosts as processes on the platform's broker and model store, started as more are needed, one slot each.</summary>
    private sealed class Workers(SchedulerProcesses platform) : IAsyncDisposable
    {
        private readonly List<ServiceProcess> _processes = [];

        public IEnumerable<(string Name, int Pid)> Processes => _processes.Select((p, i) => ($"worker{i + 1}", p.ProcessId));

        public async Task EnsureAsync(int count)
        {
            while (_processes.Count < count)
            {
                _processes.Add(await ServiceProcess.StartAsync("Worker", new Dictionary<string, string>
                {
                    ["Messaging__Transport"] = "RabbitMq",
                    ["ConnectionStrings__RabbitMq"] = platform.VirtualHost,
                    ["Services__ModelStore"] = platform.Store.GrpcAddress.ToString(),
                    [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
                    ["Worker__Name"] = $"sweep-bench-{_processes.Count + 1}",
                    ["Worker__BenchmarkTrainers"] = "true",
                    ["Logging__LogLevel__Platform"] = "Warning",
                }));
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes) await process.DisposeAsync();
        }
    }

    /// <summary>One trial as the scheduler stored it (its times are UTC on this machine's clock).</summary>
    private sealed record Trial(int Number, string State, int Attempt, DateTime Created, DateTime? Dispatched, DateTime? Started, DateTime? Finished,
        double WorkSeconds);

    private sealed record SweepRun(double WallSeconds, IReadOnlyList<Trial> Trials, int MaxParallel)
    {
        public double WorkSeconds => Trials.Sum(t => t.WorkSeconds);

        /// <summary>(wall × parallelism − Σ work) ÷ trials, in ms.</summary>
        public double OverheadMs(int parallelism) => (WallSeconds * parallelism - WorkSeconds) / Trials.Count * 1000;

        /// <summary>Where a trial's time goes, p50 / p90 / max in ms; "ended → next stored": the k-th end and the (W + k)-th trial.</summary>
        public void PrintHops()
        {
            var ended = Trials.Select(t => t.Finished!.Value).Order().ToArray();
            var stored = Trials.Select(t => t.Created).Order().Skip(MaxParallel).ToArray();
            void Hop(string name, IEnumerable<double> values)
            {
                var sorted = values.Order().ToArray();
                if (sorted.Length == 0) return;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {name,-40} {DispatchBenchmarks.Quantile(sorted, 0.5),8:0.0} {DispatchBenchmarks.Quantile(sorted, 0.9),8:0.0} {sorted[^1],8:0.0}"));
            }
            Console.WriteLine("  where a trial's time goes (ms, p50 / p90 / max):");
            Hop("stored → claimed by the dispatch pass", Trials.Select(t => (t.Dispatched!.Value - t.Created).TotalMilliseconds));
            Hop("claimed → started (worker's clock)", Trials.Select(t => (t.Started!.Value - t.Dispatched!.Value).TotalMilliseconds));
            Hop("started → ended (worker's clock)", Trials.Select(t => (t.Finished!.Value - t.Started!.Value).TotalMilliseconds));
            Hop("an end → the next trial stored", stored.Select((s, k) => (s - ended[k]).TotalMilliseconds));
        }
    }

    /// <summary>Submits benchmark sweeps and times them from the scheduler's database.</summary>
    private sealed class SweepRunner(SweepService.SweepServiceClient client, string schedulerDatabase, string datasetId)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
        private int _seed;

        public async Task<SweepRun> RunAsync(int trials, int waitMs, int parallel, bool quiet = false)
        {
            var spec = new SweepSpec
            {
                Base = new JobSpec { DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "y", ModelName = "sweep-bench" },
                Trainers =
                {
                    new SweepTrainer
                    {
                        Name = "benchmark_wait",
                        Hyperparameters = { ["wait_ms"] = waitMs.ToString(CultureInfo.InvariantCulture) },
                        Space = { new SearchDimension { Name = "x", FloatRange = new FloatRange { Min = 0, Max = 1 } } },
                    },
                },
                Objective = new Objective { Metric = "rmse" },
                Algorithm = SearchAlgorithm.Random,
                MaxTrials = trials,
                MaxParallel = parallel,
                Seed = ++_seed,
            };
            await using var database = NpgsqlDataSource.Create(schedulerDatabase);
            var clock = Stopwatch.StartNew();
            var sweep = await client.SubmitSweepAsync(new SubmitSweepRequest { Spec = spec });
            var id = Guid.Parse(sweep.Id);
            while (await EndedTrialsAsync(database, id) < trials)
            {
                if (clock.Elapsed > Timeout) throw new TimeoutException($"sweep {id}: not all of {trials} trials ended in {Timeout}");
                await Task.Delay(20);
            }
            var wall = clock.Elapsed.TotalSeconds;
            var rows = await TrialsAsync(database, id);
            if (rows.FirstOrDefault(t => t.State != "Succeeded" || t.Attempt != 1) is { } bad)
                throw new InvalidOperationException($"sweep {id}: trial {bad.Number} ended {bad.State} after attempt {bad.Attempt}; every trial must succeed at once");

            // A benchmark trainer's sweep ends Failed: its final job cannot register a model. Wait for it, so runs do not overlap.
            (string State, string Reason)? end;
            while ((end = await SweepEndAsync(database, id)) is null)
            {
                if (clock.Elapsed > Timeout) throw new TimeoutException($"sweep {id} did not end in {Timeout}");
                await Task.Delay(50);
            }
            if (!quiet) Console.WriteLine($"  sweep {id} ended {end.Value.State}: {end.Value.Reason}; the benchmark read the scheduler's database {Reads} times so far");
            return new SweepRun(wall, rows, parallel);
        }

        /// <summary>Reads of the scheduler's database by this benchmark (each a transaction there, counted in its server work).</summary>
        public int Reads { get; private set; }

        private async Task<(string State, string Reason)?> SweepEndAsync(NpgsqlDataSource database, Guid sweep)
        {
            Reads++;
            await using var query = database.CreateCommand("select state, coalesce(failure_reason, '') from sweeps where id = $1 and state in ('Succeeded', 'Failed', 'Cancelled')");
            query.Parameters.AddWithValue(sweep);
            await using var reader = await query.ExecuteReaderAsync();
            return await reader.ReadAsync() ? (reader.GetString(0), reader.GetString(1)) : null;
        }

        private async Task<long> EndedTrialsAsync(NpgsqlDataSource database, Guid sweep)
        {
            Reads++;
            await using var query = database.CreateCommand(
                "select count(*) from training_jobs where sweep_id = $1 and evaluate_only and state in ('Succeeded', 'Failed', 'Cancelled', 'TimedOut')");
            query.Parameters.AddWithValue(sweep);
            return (long)(await query.ExecuteScalarAsync())!;
        }

        private static async Task<List<Trial>> TrialsAsync(NpgsqlDataSource database, Guid sweep)
        {
            await using var query = database.CreateCommand(
                "select trial_number, state, attempt, created_at, dispatched_at, started_at, finished_at, coalesce(training_seconds, 0) " +
                "from training_jobs where sweep_id = $1 and evaluate_only order by trial_number");
            query.Parameters.AddWithValue(sweep);
            await using var reader = await query.ExecuteReaderAsync();
            var trials = new List<Trial>();
            while (await reader.ReadAsync())
                trials.Add(new Trial(reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2), reader.GetDateTime(3),
                    reader.IsDBNull(4) ? null : reader.GetDateTime(4), reader.IsDBNull(5) ? null : reader.GetDateTime(5),
                    reader.IsDBNull(6) ? null : reader.GetDateTime(6), reader.GetDouble(7)));
            return trials;
        }
    }
}
