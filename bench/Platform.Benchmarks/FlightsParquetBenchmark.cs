using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Training.Data;
using Training = Platform.Training;

namespace Platform.Benchmarks;

/// <summary>
/// Acceptance 6 of issue 3: LightGBM regression of <c>delay</c> on all 3,000,000 rows of flights-3m.parquet, the
/// platform against raw ML.NET (<see cref="RawLightGbmRegression"/>: the same Parquet reader, rows, split,
/// preparation, options and seed, so the RMSE must be equal; both are printed). Runs are interleaved, medians compared,
/// and each side's peak resident memory is measured (VmHWM, reset before every run).
/// </summary>
/// <remarks>
/// Two platform modes. <c>standalone</c>: upload the file to the standalone host in its own process and time submit to
/// Succeeded; the peak memory is that process's (the worker's, with the rest of the platform). It needs a model store
/// that accepts Parquet uploads; where it refuses, the mode is reported as skipped. <c>training-run</c>: the worker's
/// training code (<see cref="Training.TrainingRun"/>: read, check, split, prepare, train, evaluate, write predictions and
/// the model zip) in this process, against raw ML.NET in this process, each phase's peak measured alone.
/// </remarks>
public static class FlightsParquetBenchmark
{
    private const int Repetitions = 3;
    private const int Seed = 42;
    private const string Data = "flights-3m.parquet";
    private const string Label = "delay";

    /// <summary>The columns as the model store types them: the timestamp is a date, kept out of the features.</summary>
    private static readonly DatasetColumn[] Columns =
    [
        new("date", ColumnKind.Date), new("delay", ColumnKind.Numeric), new("distance", ColumnKind.Numeric),
        new("origin", ColumnKind.Categorical), new("destination", ColumnKind.Categorical),
    ];

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var path = Path.Combine(datasetsFolder, Data);
        if (!File.Exists(path))
        {
            Console.WriteLine($"skipped flights parquet: {path} not found (set PLATFORM_DATASETS)");
            return [];
        }
        var file = new DatasetFile(path, Columns, Training.Data.DatasetFormat.Parquet);
        // PLATFORM_BENCH_FLIGHTS=standalone or training-run runs one mode alone (default: both).
        var mode = Environment.GetEnvironmentVariable("PLATFORM_BENCH_FLIGHTS") ?? "";
        var results = new List<BenchmarkResult>();
        if (mode is "" or "standalone") results.AddRange(await StandaloneAsync(file));
        if (mode is "" or "training-run") results.AddRange(await TrainingRunAsync(file));
        return results;
    }

    private static async Task<IReadOnlyList<BenchmarkResult>> StandaloneAsync(DatasetFile file)
    {
        await using var platform = await StandalonePlatform.StartAsync();
        Dataset dataset;
        try
        {
            dataset = await platform.UploadAsync(file.Path, Datasets.V1.DatasetFormat.Parquet);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.Unimplemented)
        {
            Console.WriteLine($"skipped flights parquet (standalone): the model store refused the Parquet upload ({e.Status.Detail})");
            return [];
        }
        var columns = string.Join(", ", dataset.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Console.WriteLine($"LightGBM regression on {Data} ({columns}): raw ML.NET vs platform (standalone, submit → Succeeded), {Repetitions} runs each, interleaved");

        var raws = new List<RawLightGbmRegression.Outcome>();
        var rawPeaks = new List<double>();
        var platforms = new List<double>();
        var platformPeaks = new List<double>();
        for (var i = 1; i <= Repetitions; i++)
        {
            var (raw, rawPeak, rawCpu) = MeasureRaw(file);
            PeakMemory.Reset(platform.ProcessId);
            var cpu = ProcessCpu.Seconds(platform.ProcessId);
            var (seconds, job, stages) = await platform.TrainWithStagesAsync(Spec(dataset.Id));
            cpu = ProcessCpu.Seconds(platform.ProcessId) - cpu;
            var peak = PeakMemory.PeakMiB(platform.ProcessId);
            Report(i, raw, rawPeak, rawCpu, "platform", seconds, job.Result.Metrics["rmse"], peak, cpu);
            Console.WriteLine($"    stages: {StandalonePlatform.DescribeStages(stages)}");
            Console.WriteLine($"    worker: {platform.LastWorkerSteps() ?? "(no step log)"}");
            raws.Add(raw);
            rawPeaks.Add(rawPeak);
            platforms.Add(seconds);
            platformPeaks.Add(peak);
        }
        return Results("standalone", "submit_to_succeeded", raws, rawPeaks, platforms, platformPeaks);
    }

    private static async Task<IReadOnlyList<BenchmarkResult>> TrainingRunAsync(DatasetFile file)
    {
        Console.WriteLine($"LightGBM regression on {Data}: raw ML.NET vs the worker's TrainingRun, both in this process, {Repetitions} runs each, interleaved");
        var raws = new List<RawLightGbmRegression.Outcome>();
        var rawPeaks = new List<double>();
        var runs = new List<double>();
        var runPeaks = new List<double>();
        for (var i = 1; i <= Repetitions; i++)
        {
            var (raw, rawPeak, rawCpu) = MeasureRaw(file);
            var output = Directory.CreateTempSubdirectory("platform-bench-run").FullName;
            try
            {
                Settle();
                var cpu = ProcessCpu.Seconds(PeakMemory.Self);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var result = await Training.TrainingRun.ExecuteAsync(file, new Training.TrainingSpec
                {
                    Task = Training.TrainingTask.Regression, LabelColumn = Label, Trainer = "lightgbm", Seed = Seed,
                }, output);
                var seconds = clock.Elapsed.TotalSeconds;
                cpu = ProcessCpu.Seconds(PeakMemory.Self) - cpu;
                var peak = PeakMemory.PeakMiB(PeakMemory.Self);
                Report(i, raw, rawPeak, rawCpu, "TrainingRun", seconds, result.Metrics["rmse"], peak, cpu);
                Console.WriteLine($"    steps: {Training.StepTiming.Describe(result.Timings.Steps)}");
                runs.Add(seconds);
                runPeaks.Add(peak);
            }
            finally
            {
                Directory.Delete(output, recursive: true);
            }
            raws.Add(raw);
            rawPeaks.Add(rawPeak);
        }
        return Results("training-run", "training_run", raws, rawPeaks, runs, runPeaks);
    }

    private static (RawLightGbmRegression.Outcome Outcome, double PeakMiB, double CpuSeconds) MeasureRaw(DatasetFile file)
    {
        Settle();
        var cpu = ProcessCpu.Seconds(PeakMemory.Self);
        var outcome = RawLightGbmRegression.Run(ml => ParquetDataView.Open(file), Label, ["distance"], ["origin", "destination"], Seed);
        return (outcome, PeakMemory.PeakMiB(PeakMemory.Self), ProcessCpu.Seconds(PeakMemory.Self) - cpu);
    }

    /// <summary>Collects the previous run's garbage and resets this process's peak, so the next phase is measured alone.</summary>
    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        PeakMemory.Reset(PeakMemory.Self);
    }

    private static void Report(int run, RawLightGbmRegression.Outcome raw, double rawPeak, double rawCpu, string side, double seconds, double rmse, double peak, double cpu) =>
        Console.WriteLine($"  run {run}: raw {raw.Seconds:0.000} s, cpu {rawCpu:0.0} s, peak {rawPeak:0} MiB (rmse {raw.Rmse:0.######}, {raw.TrainingRows} training rows); " +
            $"{side} {seconds:0.000} s, cpu {cpu:0.0} s, peak {peak:0} MiB (rmse {rmse:0.######}){(raw.Rmse == rmse ? "" : "  ← RMSE DIFFERS")}; " +
            $"load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a")}\n" +
            $"    raw steps: {Training.StepTiming.Describe(raw.Steps)}");

    private static IReadOnlyList<BenchmarkResult> Results(
        string mode, string name, List<RawLightGbmRegression.Outcome> raws, List<double> rawPeaks, List<double> platforms, List<double> platformPeaks)
    {
        var raw = Statistics.Median(raws.Select(r => r.Seconds));
        var platform = Statistics.Median(platforms);
        var rawPeak = Statistics.Median(rawPeaks);
        var platformPeak = Statistics.Median(platformPeaks);
        return
        [
            new($"training.flights3m_lightgbm_regression.{name}", platform, "s", raw, platform / raw, "<= 1.10", Data, mode),
            new("training.flights3m_lightgbm_regression.raw_mlnet", raw, "s", null, null, "baseline", Data, $"{mode} (in-process)"),
            new($"training.flights3m_lightgbm_regression.{name}_peak_memory", platformPeak, "MiB", rawPeak, platformPeak / rawPeak, "record", Data, mode),
        ];
    }

    private static JobSpec Spec(string datasetId) => new()
    {
        DatasetId = datasetId,
        Task = Jobs.V1.TrainingTask.Regression,
        LabelColumn = Label,
        Trainer = "lightgbm",
        Seed = Seed,
        ModelName = "flights-3m-bench",
    };
}
