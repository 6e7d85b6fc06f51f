using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Training.Data;

namespace Platform.Benchmarks;

/// <summary>
/// The platform's price over raw ML.NET: LightGBM regression of <c>delay</c> on flights-200k.csv, submit to
/// Succeeded through the standalone platform (gRPC, scheduler, bus, worker, model store), divided by the same
/// training and holdout evaluation written directly against ML.NET in this process (<see cref="RawLightGbmRegression"/>:
/// same reader, rows, split, preparation, trainer settings and seed, so both print the same RMSE). Both sides are
/// warmed up once, then measured <see cref="Repetitions"/> times, interleaved; medians are compared.
/// </summary>
public static class TrainingOverhead
{
    private const int Repetitions = 5;
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
        }
        var (rawMedian, platformMedian) = (Statistics.Median(raws), Statistics.Median(platforms));

        return
        [
            new("training.lightgbm_regression.submit_to_succeeded", platformMedian, "s", rawMedian, platformMedian / rawMedian, "<= 1.15", Data, "standalone"),
            new("training.lightgbm_regression.raw_mlnet", rawMedian, "s", null, null, "baseline", Data, "in-process"),
            new("datasets.upload", upload, "s", null, null, "", Data, "standalone"),
        ];
    }

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
