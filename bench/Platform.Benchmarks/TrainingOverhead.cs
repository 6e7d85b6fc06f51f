using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Training.Data;

namespace Platform.Benchmarks;

/// <summary>
/// The platform's price over raw ML.NET: LightGBM regression of <c>delay</c> on flights-200k.csv, submit to
/// Succeeded through the standalone platform (gRPC, scheduler, bus, worker, model store), divided by the same
/// training and holdout evaluation written directly against ML.NET in this process (<see cref="RawLightGbmRegression"/>:
/// same reader, rows, split, preparation, trainer settings and seed, so both print the same RMSE). Both sides are
/// warmed up once, then measured <c>PLATFORM_BENCH_OVERHEAD_RUNS</c> times (default 11), interleaved; medians are
/// compared. The LightGBM fit alone is compared too (the worker's <c>fit</c> step against raw ML.NET's, which also
/// reads the file into its cache), min and median, with the machine's load average before and after.
/// </summary>
public static class TrainingOverhead
{
    private static readonly int Repetitions =
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_OVERHEAD_RUNS"), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 11;
    private const int Seed = 42;
    private const string Data = "flights-200k.csv";

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var csv = Path.Combine(datasetsFolder, Data);
        if (!File.Exists(csv))
        {
            Console.WriteLine($"skipped training overhead: {csv} not found (set PLATFORM_DATASETS)");
            return [];
        }

        await using var platform = await StandalonePlatform.StartAsync();
        var uploadClock = System.Diagnostics.Stopwatch.StartNew();
        var dataset = await platform.UploadAsync(csv, Datasets.V1.DatasetFormat.Csv);
        var upload = uploadClock.Elapsed.TotalSeconds;
        // The baseline reads the columns with the types the model store inferred, as the worker does.
        var file = new DatasetFile(csv, [.. dataset.Columns.Select(c => new DatasetColumn(c.Name, c.Type == ColumnType.Numeric ? ColumnKind.Numeric : ColumnKind.Categorical))], Training.Data.DatasetFormat.Csv);
        string[] numeric = [.. file.Columns.Where(c => c.Name != "delay" && c.Kind == ColumnKind.Numeric).Select(c => c.Name)];
        string[] categorical = [.. file.Columns.Where(c => c.Name != "delay" && c.Kind == ColumnKind.Categorical).Select(c => c.Name)];

        Console.WriteLine($"LightGBM regression on {Data}: raw ML.NET vs platform (standalone, submit → Succeeded), 1 warm-up + {Repetitions} runs each, interleaved");
        // Interleaved (raw, platform, raw, platform, ...) so that drift in machine load hits both sides alike.
        var raws = new List<double>();
        var platforms = new List<double>();
        var rawFits = new List<double>();
        var workerFits = new List<double>();
        var loadBefore = LoadAverage();
        for (var i = 0; i <= Repetitions; i++)
        {
            var raw = RawLightGbmRegression.Run(ml => DatasetReader.Open(ml, file).Rows, "delay", numeric, categorical, Seed);
            var (seconds, job, stages) = await platform.TrainWithStagesAsync(Spec(dataset.Id));
            var rmse = job.Result.Metrics["rmse"];
            Console.WriteLine($"  {(i == 0 ? "warm-up" : $"run {i}")}: raw {raw.Seconds:0.000} s (rmse {raw.Rmse:0.######}), platform {seconds:0.000} s " +
                $"(rmse {rmse:0.######}, worker {job.Result.TrainingSeconds:0.000} s){(raw.Rmse == rmse ? "" : "  ← RMSE DIFFERS: the baseline is not the platform's pipeline")}");
            // Seconds per stage as the watch stream showed them ("saving" runs until the upload starts: it includes the
            // model card and the ONNX export, which the worker does after the run's own saving).
            Console.WriteLine($"    stages: {StandalonePlatform.DescribeStages(stages)}");
            Console.WriteLine($"    worker: {platform.LastWorkerSteps() ?? "(no step log)"}");
            if (i == 0) continue;
            raws.Add(raw.Seconds);
            platforms.Add(seconds);
            rawFits.Add(raw.Steps.Single(s => s.Step == "fit").Elapsed.TotalSeconds);
            if (WorkerFit(platform.LastWorkerSteps()) is { } fit) workerFits.Add(fit);
        }
        var (rawMedian, platformMedian) = (Statistics.Median(raws), Statistics.Median(platforms));
        Console.WriteLine($"  fit: worker min {workerFits.DefaultIfEmpty().Min():0.000} s, median {Statistics.Median(workerFits.DefaultIfEmpty()):0.000} s, " +
                          $"max {workerFits.DefaultIfEmpty().Max():0.000} s; raw ML.NET (with its read of the file) min {rawFits.Min():0.000} s, " +
                          $"median {Statistics.Median(rawFits):0.000} s, max {rawFits.Max():0.000} s; load average {loadBefore} before, {LoadAverage()} after");

        return
        [
            new("training.lightgbm_regression.submit_to_succeeded", platformMedian, "s", rawMedian, platformMedian / rawMedian, "<= 1.15", Data, "standalone"),
            new("training.lightgbm_regression.raw_mlnet", rawMedian, "s", null, null, "baseline", Data, "in-process"),
            new("datasets.upload", upload, "s", null, null, "", Data, "standalone"),
            new("training.lightgbm_regression.worker_fit.median", Statistics.Median(workerFits.DefaultIfEmpty()), "s", Statistics.Median(rawFits),
                Statistics.Median(workerFits.DefaultIfEmpty()) / Statistics.Median(rawFits), "", $"{Data}; baseline: raw ML.NET's fit with its read of the file", "standalone"),
            new("training.lightgbm_regression.worker_fit.min", workerFits.DefaultIfEmpty().Min(), "s", rawFits.Min(),
                workerFits.DefaultIfEmpty().Min() / rawFits.Min(), "", $"{Data}; baseline: raw ML.NET's fit with its read of the file", "standalone"),
        ];
    }

    /// <summary>The <c>fit</c> step of the worker's step line ("…; training run: cache_rows 0.231 s, fit 0.538 s, …").</summary>
    internal static double? WorkerFit(string? steps)
    {
        var match = steps is null ? null : System.Text.RegularExpressions.Regex.Match(steps, @"\bfit (\d+\.\d+) s");
        return match is { Success: true } ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The 1-, 5- and 15-minute load averages, as <c>uptime</c> prints them.</summary>
    internal static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static JobSpec Spec(string datasetId) => new()
    {
        DatasetId = datasetId,
        Task = TrainingTask.Regression,
        LabelColumn = "delay",
        Trainer = "lightgbm",
        Seed = Seed,
        ModelName = "flights-bench",
    };
}
