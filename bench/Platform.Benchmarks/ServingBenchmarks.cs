using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Npgsql;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Serving.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// The serving service (docs/serving.md) in a standalone host, driven over real sockets, against the same model run by
/// ML.NET's <c>PredictionEngine</c> in this process (the baseline, measured in the same run, interleaved):
/// <list type="number">
/// <item>latency of a one-row <c>Predict</c> over gRPC on a warm model, p50 and p99, for iris and penguins LightGBM;</item>
/// <item>throughput in rows/s with 16 concurrent unary clients and with 16 <c>PredictStream</c> streams, against the
/// in-process engine on every core (one engine per core: it is not thread-safe);</item>
/// <item>hot swap under load: 16 clients predicting by alias while the alias moves 10 times: failed calls and the time
/// from each move until every answer comes from the new version;</item>
/// <item>the prediction log's cost: p99 with the log sampling every request against a second host that logs none.</item>
/// </list>
/// With the benchmark servers (<c>make bench</c>) the hosts keep their databases, the prediction log included, in
/// PostgreSQL and their bus on RabbitMQ, as a cluster does; without them, SQLite and the in-memory bus.
/// <c>PLATFORM_BENCH_SERVING_CALLS</c> (default 2,000) calls per side per latency figure; <c>PLATFORM_BENCH_SERVING_SECONDS</c>
/// (default 2) seconds per throughput round.
/// </summary>
public static class ServingBenchmarks
{
    private const int Clients = 16;
    private const int AliasMoves = 10;
    private const int Block = 250;
    private const int WarmUpCalls = 300;
    private const int ThroughputRounds = 3;
    private static readonly int Calls = Setting("PLATFORM_BENCH_SERVING_CALLS", 2000);
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(Setting("PLATFORM_BENCH_SERVING_SECONDS", 2));
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var iris = DataFile(datasetsFolder, "iris.csv");
        var penguins = DataFile(datasetsFolder, "penguins.csv");
        if (iris is null || penguins is null)
        {
            Console.WriteLine("serving: skipped (iris.csv or penguins.csv not found; set PLATFORM_DATASETS)");
            return [];
        }
        var loadBefore = TrainingOverhead.LoadAverage();
        PlatformServers? servers = null;
        if (Environment.GetEnvironmentVariable(PlatformServers.PostgresVariable) is { Length: > 0 })
        {
            servers = new PlatformServers();
            await servers.InitializeAsync();
        }
        var mode = servers is null ? "standalone" : "standalone+postgres+rabbitmq";
        try
        {
            Console.WriteLine($"serving ({mode}): two standalone hosts, prediction log at 100 % and off; load average {loadBefore}");
            var (logged, loggedLog) = await StartHostAsync(servers, "logged", sampleRate: 1);
            await using var loggedHost = logged;
            var (unlogged, _) = await StartHostAsync(servers, "unlogged", sampleRate: 0);
            await using var unloggedHost = unlogged;

            var irisModel = new BenchModel("iris", iris, "species", Typed(IrisInput.Parse));
            var penguinsModel = new BenchModel("penguins", penguins, "Species", Typed(PenguinInput.Parse));
            // Both hosts train in parallel; the logged one also gets a second penguins version for the hot swap.
            var trainLogged = Task.Run(async () =>
            {
                await irisModel.TrainAsync(logged);
                await penguinsModel.TrainAsync(logged);
                return await penguinsModel.TrainAsync(logged, seed: 7, iterations: 3);
            });
            await Task.WhenAll(trainLogged, penguinsModel.TrainAsync(unlogged));
            var penguinsV2 = await trainLogged;
            foreach (var (host, model) in new[] { (logged, irisModel), (logged, penguinsModel), (unlogged, penguinsModel) })
                await host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = model.Name, Alias = "production", Version = 1 });
            await logged.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "canary", Version = 1 });

            using var loggedChannel = GrpcChannel.ForAddress(logged.Address);
            using var unloggedChannel = GrpcChannel.ForAddress(unlogged.Address);
            var client = new PredictionService.PredictionServiceClient(loggedChannel);
            var unloggedClient = new PredictionService.PredictionServiceClient(unloggedChannel);
            var irisServed = await irisModel.ServeAsync(logged);
            var penguinsServed = await penguinsModel.ServeAsync(logged);

            // Every path of both hosts warm first (the hosts' JIT reaches its optimised code only after a while on a loaded
            // machine), then both hosts and this process settled before each latency figure: what the training jobs, the
            // compiler and the prediction log left to do must not land on it.
            foreach (var served in new[] { irisServed, penguinsServed })
            {
                await served.CheckAgreementAsync(client);
                await ThroughputRoundAsync(client, served, "warm-up");
            }
            await ThroughputRoundAsync(unloggedClient, penguinsServed, "warm-up, log off");
            int[] processes = [logged.ProcessId, unlogged.ProcessId, Environment.ProcessId];
            var results = new List<BenchmarkResult>();
            foreach (var served in new[] { irisServed, penguinsServed })
            {
                await SettleAsync(processes);
                results.AddRange(await LatencyAsync(client, served, mode));
            }
            // Before the throughput and hot swap runs, whose hundreds of thousands of logged rows the writer is still
            // writing for a while afterwards.
            await SettleAsync(processes);
            results.AddRange(await LoggingCostAsync(client, unloggedClient, penguinsServed, loggedLog, mode));
            foreach (var served in new[] { irisServed, penguinsServed })
                results.AddRange(await ThroughputAsync(client, served, mode));
            results.AddRange(await HotSwapAsync(logged, client, penguinsServed, penguinsV2, mode));

            var loadAfter = TrainingOverhead.LoadAverage();
            Console.WriteLine($"serving: load average {loadBefore} at start, {loadAfter} at end");
            return [.. results.Select(r => r with { Data = $"{r.Data}; load average {loadBefore} at start, {loadAfter} at end" })];
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (servers is not null) await servers.DisposeAsync();
        }
    }

    /// <summary>One-row Predict over gRPC against PredictionEngine.Predict, one caller each, in interleaved blocks.</summary>
    private static async Task<IReadOnlyList<BenchmarkResult>> LatencyAsync(PredictionService.PredictionServiceClient client, ServedModel model, string mode)
    {
        var engine = model.NewEngine();
        await TimeCallsAsync(client, model.Requests, WarmUpCalls, 0);
        TimeInProcess(engine, model.Rows, WarmUpCalls, 0);
        var grpc = new List<double>();
        var inProcess = new List<double>();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        for (var done = 0; done < Calls; done += Block)
        {
            grpc.AddRange(await TimeCallsAsync(client, model.Requests, Block, done));
            inProcess.AddRange(TimeInProcess(engine, model.Rows, Block, done));
        }
        var (g, p) = (grpc.Order().ToArray(), inProcess.Order().ToArray());
        var (g50, g99, p50, p99) = (Quantile(g, 0.5), Quantile(g, 0.99), Quantile(p, 0.5), Quantile(p, 0.99));
        Console.WriteLine($"  {model.Name}: one-row Predict over gRPC p50 {g50:0.000} ms, p99 {g99:0.000} ms; PredictionEngine in process " +
                          $"p50 {p50:0.000} ms, p99 {p99:0.000} ms; p99 difference {g99 - p99:0.000} ms ({g.Length} calls each; " +
                          $"this process's collections meanwhile: gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2}; " +
                          $"slowest calls {string.Join(", ", g[^5..].Select(x => x.ToString("0.0", CultureInfo.InvariantCulture)))} ms)");
        var data = $"{model.File}, one row per call, {g.Length} calls each side in blocks of {Block}, interleaved, after {WarmUpCalls} warm-up calls; " +
                   "one caller, hosts settled first; baseline: ML.NET PredictionEngine.Predict in process, the same model.zip";
        var prefix = $"serving.predict.{model.Name}";
        return
        [
            new($"{prefix}.latency.p50", g50, "ms", p50, g50 / p50, "", data, mode),
            new($"{prefix}.latency.p99", g99, "ms", p99, g99 / p99, "", data, mode),
            new($"{prefix}.p99_over_in_process", g99 - p99, "ms", null, null, "<= 1", data, mode),
        ];
    }

    /// <summary>Rows/s: 16 unary callers, 16 streams, and one engine per core in process; rounds interleaved, medians compared.</summary>
    private static async Task<IReadOnlyList<BenchmarkResult>> ThroughputAsync(PredictionService.PredictionServiceClient client, ServedModel model, string mode)
    {
        var (unary, streams, inProcess) = (new List<double>(), new List<double>(), new List<double>());
        var failed = 0;
        for (var round = 1; round <= ThroughputRounds; round++)
        {
            var (u, s, p) = await ThroughputRoundAsync(client, model, $"round {round}");
            failed += u.Failed + s.Failed;
            unary.Add(u.RowsPerSecond);
            streams.Add(s.RowsPerSecond);
            inProcess.Add(p);
        }
        var (u50, s50, p50) = (Statistics.Median(unary), Statistics.Median(streams), Statistics.Median(inProcess));
        var data = $"{model.File}, one row per call or stream message, {ThroughputRounds} rounds of {Round.TotalSeconds:0} s per side, interleaved, medians; " +
                   $"{failed} failed calls; baseline: PredictionEngine in process, one per core ({Environment.ProcessorCount}), on the same cores";
        var prefix = $"serving.throughput.{model.Name}";
        return
        [
            new($"{prefix}.unary_16_clients", u50, "rows/s", p50, u50 / p50, "", data, mode),
            new($"{prefix}.stream_16_streams", s50, "rows/s", p50, s50 / p50, "", data, mode),
        ];
    }

    private static async Task<((double RowsPerSecond, int Failed) Unary, (double RowsPerSecond, int Failed) Streams, double InProcess)> ThroughputRoundAsync(
        PredictionService.PredictionServiceClient client, ServedModel model, string round)
    {
        var u = await UnaryThroughputAsync(client, model);
        var s = await StreamThroughputAsync(client, model);
        var p = InProcessThroughput(model);
        Console.WriteLine($"  {model.Name} throughput {round}: {Clients} unary callers {u.RowsPerSecond:0} rows/s, {Clients} streams {s.RowsPerSecond:0} rows/s, " +
                          $"in process ({Environment.ProcessorCount} engines) {p:0} rows/s{(u.Failed + s.Failed > 0 ? $", {u.Failed + s.Failed} FAILED calls" : "")}");
        return (u, s, p);
    }

    private static async Task<(double RowsPerSecond, int Failed)> UnaryThroughputAsync(PredictionService.PredictionServiceClient client, ServedModel model)
    {
        var (answered, failed) = (0, 0);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var i = c; clock.Elapsed < Round; i += Clients)
            {
                try
                {
                    await client.PredictAsync(model.Requests[i % model.Requests.Length]);
                    Interlocked.Increment(ref answered);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        return (answered / clock.Elapsed.TotalSeconds, failed);
    }

    /// <summary>Each stream writes one-row requests as fast as the server takes them while a reader counts the answers.</summary>
    private static async Task<(double RowsPerSecond, int Failed)> StreamThroughputAsync(PredictionService.PredictionServiceClient client, ServedModel model)
    {
        var (answered, failed) = (0, 0);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var call = client.PredictStream();
            var reader = Task.Run(async () =>
            {
                await foreach (var _ in call.ResponseStream.ReadAllAsync()) Interlocked.Increment(ref answered);
            });
            try
            {
                for (var i = c; clock.Elapsed < Round; i += Clients)
                    await call.RequestStream.WriteAsync(model.Requests[i % model.Requests.Length]);
                await call.RequestStream.CompleteAsync();
                await reader;
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref failed);
            }
        })));
        return (answered / clock.Elapsed.TotalSeconds, failed);
    }

    private static double InProcessThroughput(ServedModel model)
    {
        var predicted = 0L;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var engine = model.NewEngine();
            var rows = 0L;
            for (var i = c; clock.Elapsed < Round; i += Environment.ProcessorCount, rows++)
                engine(i % model.Rows);
            Interlocked.Add(ref predicted, rows);
        });
        return predicted / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// 16 callers predict by <c>penguins@canary</c> while the alias moves between versions 1 and 2 ten times. A move's
    /// switch time runs from just before <c>SetModelAlias</c> is called until the later of the last answer from the old
    /// version and the first from the new one: from then on every answer comes from the new version.
    /// </summary>
    private static async Task<IReadOnlyList<BenchmarkResult>> HotSwapAsync(StandalonePlatform host, PredictionService.PredictionServiceClient client,
        ServedModel model, int secondVersion, string mode)
    {
        var canary = model.Requests.Select(r => new PredictRequest(r) { Model = $"{model.Name}@canary" }).ToArray();
        var answers = new ConcurrentQueue<(long At, int Version)>();
        var failures = new ConcurrentQueue<string>();
        var lastSeen = new long[secondVersion + 1];
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var i = c; !stop.IsCancellationRequested; i += Clients)
            {
                try
                {
                    var version = (await client.PredictAsync(canary[i % canary.Length])).Version;
                    var at = Stopwatch.GetTimestamp();
                    answers.Enqueue((at, version));
                    Volatile.Write(ref lastSeen[version], at);
                }
                catch (RpcException ex)
                {
                    failures.Enqueue($"{ex.StatusCode}: {ex.Status.Detail}");
                }
            }
        })).ToList();
        var moves = new List<(long At, int To)>();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            for (var move = 1; move <= AliasMoves; move++)
            {
                var to = move % 2 == 1 ? secondVersion : 1;
                var at = Stopwatch.GetTimestamp();
                moves.Add((at, to));
                await host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = model.Name, Alias = "canary", Version = to });
                while (Volatile.Read(ref lastSeen[to]) < at)
                {
                    if (Stopwatch.GetElapsedTime(at) > Patience) throw new InvalidOperationException($"alias move {move} to version {to} never reached the serving service");
                    await Task.Delay(10);
                }
                // Let the old version's last in-flight answers (and any straggler) show before the next move.
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(callers);
        }
        var all = answers.ToArray();
        var switches = moves.Select((m, i) =>
        {
            var until = i + 1 < moves.Count ? moves[i + 1].At : long.MaxValue;
            var window = all.Where(a => a.At >= m.At && a.At < until).ToArray();
            var lastOld = window.Where(a => a.Version != m.To).Select(a => a.At).DefaultIfEmpty(m.At).Max();
            var firstNew = window.Where(a => a.Version == m.To).Min(a => a.At);
            return Stopwatch.GetElapsedTime(m.At, Math.Max(lastOld, firstNew)).TotalMilliseconds;
        }).ToArray();
        var (max, median) = (switches.Max(), Statistics.Median(switches));
        Console.WriteLine($"  hot swap: {AliasMoves} alias moves under {Clients} callers, {all.Length} answers, {failures.Count} failed calls; " +
                          $"switch times (ms) {string.Join(" / ", switches.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))}: max {max:0} ms, median {median:0} ms");
        foreach (var failure in failures.Distinct().Take(5)) Console.WriteLine($"    failed: {failure}");
        var data = $"{model.File}, {Clients} callers predicting one row by {model.Name}@canary while the alias moves between versions 1 and {secondVersion} " +
                   $"{AliasMoves} times (the first move loads version {secondVersion}); {all.Length} answers; from just before SetModelAlias until every answer is the new version's";
        return
        [
            new("serving.hot_swap.failed_calls", failures.Count, "calls", null, null, "0", data, mode),
            new("serving.hot_swap.switch_time.max", max, "ms", null, null, "", data, mode),
            new("serving.hot_swap.switch_time.median", median, "ms", null, null, "", data, mode),
        ];
    }

    /// <summary>One-row Predict on a host logging every request against one logging none, in interleaved blocks.</summary>
    private static async Task<IReadOnlyList<BenchmarkResult>> LoggingCostAsync(PredictionService.PredictionServiceClient logged,
        PredictionService.PredictionServiceClient unlogged, ServedModel model, string? loggedDatabase, string mode)
    {
        await TimeCallsAsync(logged, model.Requests, WarmUpCalls, 0);
        await TimeCallsAsync(unlogged, model.Requests, WarmUpCalls, 0);
        var (on, off) = (new List<double>(), new List<double>());
        for (var done = 0; done < Calls; done += Block)
        {
            on.AddRange(await TimeCallsAsync(logged, model.Requests, Block, done));
            off.AddRange(await TimeCallsAsync(unlogged, model.Requests, Block, done));
        }
        var (a, b) = (on.Order().ToArray(), off.Order().ToArray());
        var (on50, on99, off50, off99) = (Quantile(a, 0.5), Quantile(a, 0.99), Quantile(b, 0.5), Quantile(b, 0.99));
        var rows = loggedDatabase is null ? "" : $"; {await LoggedRowsAsync(loggedDatabase)} rows in its prediction_log by the end";
        Console.WriteLine($"  prediction log: {model.Name} one-row Predict, log at 100 % p50 {on50:0.000} ms, p99 {on99:0.000} ms; log off " +
                          $"p50 {off50:0.000} ms, p99 {off99:0.000} ms; p99 ratio {on99 / off99:0.00}{rows}");
        var data = $"{model.File}, one row per call, one caller, {a.Length} calls on each of two hosts in blocks of {Block}, interleaved; " +
                   $"Serving:PredictionLog:SampleRate 1 against 0 (the baseline){rows}";
        return
        [
            new("serving.prediction_log.latency.p50", on50, "ms", off50, on50 / off50, "", data, mode),
            new("serving.prediction_log.latency.p99", on99, "ms", off99, on99 / off99, "<= 1.10", data, mode),
        ];
    }

    private static async Task<double[]> TimeCallsAsync(PredictionService.PredictionServiceClient client, PredictRequest[] requests, int count, int offset)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.PredictAsync(requests[(offset + i) % requests.Length]);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return times;
    }

    private static double[] TimeInProcess(Func<int, string> engine, int rows, int count, int offset)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            engine((offset + i) % rows);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return times;
    }

    private static async Task SettleAsync(int[] processes)
    {
        var settled = await ProcessCpu.SettleAsync(processes);
        Console.WriteLine($"  hosts settled after {settled.TotalSeconds:0} s; load average {TrainingOverhead.LoadAverage()}");
    }

    private static double Quantile(double[] sorted, double quantile) => DispatchBenchmarks.Quantile(sorted, quantile);

    private static async Task<(StandalonePlatform Host, string? LogDatabase)> StartHostAsync(PlatformServers? servers, string name, double sampleRate)
    {
        var environment = new Dictionary<string, string>
        {
            ["Serving__PredictionLog__SampleRate"] = sampleRate.ToString(CultureInfo.InvariantCulture),
        };
        BenchSettings.AddFrom("PLATFORM_BENCH_SERVING_ENV", environment);
        string? log = null;
        if (servers is not null)
        {
            environment["Database__Provider"] = "Postgres";
            foreach (var database in new[] { "Scheduler", "ModelStore", "Gateway", "Serving" })
                environment[$"ConnectionStrings__{database}"] = await servers.CreateDatabaseAsync($"serving_bench_{name}_{database.ToLowerInvariant()}");
            environment["Messaging__Transport"] = "RabbitMq";
            environment["ConnectionStrings__RabbitMq"] = await servers.CreateVirtualHostAsync($"serving-bench-{name}");
            log = environment["ConnectionStrings__Serving"];
        }
        return (await StandalonePlatform.StartAsync(environment), log);
    }

    private static async Task<long> LoggedRowsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM prediction_log", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static string? DataFile(string datasetsFolder, string name) =>
        new[] { Path.Combine(datasetsFolder, name), Path.Combine(ServiceProcess.RepositoryRoot(), "samples", "data", name) }.FirstOrDefault(File.Exists);

    private static int Setting(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    /// <summary>A data set, the model trained on it, and how the baseline reads its rows.</summary>
    private sealed class BenchModel(string name, string path, string label, EngineFactory engines)
    {
        public string Name { get; } = name;

        /// <summary>Uploads the data set and trains LightGBM multiclass on it (trainer defaults unless told); returns the version.</summary>
        public async Task<int> TrainAsync(StandalonePlatform host, int seed = 42, int? iterations = null)
        {
            var dataset = await host.UploadAsync(path, DatasetFormat.Csv);
            var spec = new JobSpec
            {
                DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = label, Trainer = "lightgbm", Seed = seed, ModelName = Name,
            };
            if (iterations is { } n) spec.Hyperparameters["number_of_iterations"] = n.ToString(CultureInfo.InvariantCulture);
            var (_, job) = await host.TrainAsync(spec);
            return job.Result.ModelVersion;
        }

        /// <summary>
        /// The rows without a missing value, as requests by <c>name@production</c> and as the baseline's typed inputs, and an
        /// in-process engine factory over version 1's model.zip downloaded from the host.
        /// </summary>
        public async Task<ServedModel> ServeAsync(StandalonePlatform host)
        {
            var dataset = (await host.Datasets.ListDatasetsAsync(new ListDatasetsRequest())).Datasets.First(d => d.Name == Path.GetFileName(path));
            var numeric = dataset.Columns.Where(c => c.Type == ColumnType.Numeric).Select(c => c.Name).ToHashSet();
            var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
            var header = lines[0].Split(',');
            var complete = lines.Skip(1).Select(l => l.Split(',')).Where(f => f.Length == header.Length && f.All(v => v.Length > 0 && v != "NA")).ToList();
            var requests = complete.Select(fields =>
            {
                var row = new Struct();
                for (var i = 0; i < header.Length; i++)
                {
                    if (header[i] == label) continue;
                    row.Fields[header[i]] = numeric.Contains(header[i])
                        ? Value.ForNumber(double.Parse(fields[i], CultureInfo.InvariantCulture))
                        : Value.ForString(fields[i]);
                }
                return new PredictRequest { Model = $"{Name}@production", Rows = { row } };
            }).ToArray();

            var zip = new MemoryStream();
            using (var download = host.Models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = Name, Version = 1 }))
                await foreach (var chunk in download.ResponseStream.ReadAllAsync())
                    chunk.Data.WriteTo(zip);
            zip.Position = 0;
            var ml = new MLContext(seed: 0);
            ml.ComponentCatalog.RegisterAssembly(typeof(LightGbmBinaryModelParameters).Assembly);
            var model = ml.Model.Load(zip, out _);
            return new ServedModel(Name, Path.GetFileName(path), requests, complete.Count, engines(ml, model, header, complete));
        }
    }

    /// <summary>Makes the baseline's engines for a model: each a PredictionEngine over the rows, row index to predicted label.</summary>
    private delegate Func<Func<int, string>> EngineFactory(MLContext ml, ITransformer model, string[] header, IReadOnlyList<string[]> rows);

    /// <summary>Engines over typed inputs, as a user of ML.NET writes them: the rows are parsed once, up front, like the requests.</summary>
    private static EngineFactory Typed<TInput>(Func<string[], string[], TInput> parse) where TInput : class, new() => (ml, model, header, rows) =>
    {
        var inputs = rows.Select(fields => parse(header, fields)).ToArray();
        return () =>
        {
            var engine = ml.Model.CreatePredictionEngine<TInput, ClassAnswer>(model);
            return row => engine.Predict(inputs[row]).PredictedLabel;
        };
    };

    /// <summary>A served model: its one-row requests and, for the baseline, a way to make an engine (one per thread).</summary>
    /// <param name="NewEngine">Makes a PredictionEngine over the same rows: row index to predicted label.</param>
    private sealed record ServedModel(string Name, string File, PredictRequest[] Requests, int Rows, Func<Func<int, string>> NewEngine)
    {
        /// <summary>Both sides must give the same label for every row, or the baseline is not the served model.</summary>
        public async Task CheckAgreementAsync(PredictionService.PredictionServiceClient client)
        {
            var all = new PredictRequest { Model = Requests[0].Model };
            all.Rows.AddRange(Requests.Select(r => r.Rows[0]));
            var served = await client.PredictAsync(all);
            var engine = NewEngine();
            var differ = served.Predictions.Select((p, i) => p.Label != engine(i)).Count(d => d);
            Console.WriteLine($"  {Name}: {Rows} rows, served version {served.Version}; labels differing from the in-process engine: {differ}");
            if (differ > 0) throw new InvalidOperationException($"{Name}: the served model and the in-process baseline disagree on {differ} rows");
        }
    }

    /// <summary>A row of iris.csv as a typed input for PredictionEngine (the label is read by the model's chain but not used).</summary>
    private sealed class IrisInput
    {
        [ColumnName("sepal_length")] public float SepalLength { get; set; }
        [ColumnName("sepal_width")] public float SepalWidth { get; set; }
        [ColumnName("petal_length")] public float PetalLength { get; set; }
        [ColumnName("petal_width")] public float PetalWidth { get; set; }
        [ColumnName("species")] public string Species { get; set; } = "";

        public static IrisInput Parse(string[] header, string[] fields)
        {
            float Number(string column) => float.Parse(fields[Array.IndexOf(header, column)], CultureInfo.InvariantCulture);
            return new IrisInput
            {
                SepalLength = Number("sepal_length"), SepalWidth = Number("sepal_width"), PetalLength = Number("petal_length"), PetalWidth = Number("petal_width"),
            };
        }
    }

    /// <summary>A row of penguins.csv as a typed input for PredictionEngine.</summary>
    private sealed class PenguinInput
    {
        public string Species { get; set; } = "";
        public string Island { get; set; } = "";
        [ColumnName("Beak Length (mm)")] public float BeakLength { get; set; }
        [ColumnName("Beak Depth (mm)")] public float BeakDepth { get; set; }
        [ColumnName("Flipper Length (mm)")] public float FlipperLength { get; set; }
        [ColumnName("Body Mass (g)")] public float BodyMass { get; set; }
        public string Sex { get; set; } = "";

        public static PenguinInput Parse(string[] header, string[] fields)
        {
            string Text(string column) => fields[Array.IndexOf(header, column)];
            float Number(string column) => float.Parse(Text(column), CultureInfo.InvariantCulture);
            return new PenguinInput
            {
                Island = Text("Island"), BeakLength = Number("Beak Length (mm)"), BeakDepth = Number("Beak Depth (mm)"),
                FlipperLength = Number("Flipper Length (mm)"), BodyMass = Number("Body Mass (g)"), Sex = Text("Sex"),
            };
        }
    }

    /// <summary>What the baseline reads of a multiclass answer: the label and the class scores, as the service does.</summary>
    private sealed class ClassAnswer
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}
