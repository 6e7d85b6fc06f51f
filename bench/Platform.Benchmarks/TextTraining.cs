using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Training;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// Text at speed, on the SpamAssassin corpus (spam-assassin.csv, 6,046 mails; <c>group</c>, the source folder, excluded
/// as its profile warning says): LightGBM and SDCA, submit to Succeeded through the standalone platform against the same
/// job written directly against ML.NET in this process (<see cref="RawTextClassification"/>: same rows, split,
/// featurisation, trainer settings and seed, so both print the same F1), <c>PLATFORM_BENCH_TEXT_WARMUPS</c> warm-ups
/// (default 1; 0 for LightGBM alone, whose minutes-long fits make the JIT's second negligible) and
/// <c>PLATFORM_BENCH_TEXT_RUNS</c> runs (default 3) each, interleaved; medians compared. Its quality: <see cref="QualityBenchmark"/>.
/// </summary>
public static class TextTraining
{
    private static readonly int Repetitions =
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_TEXT_RUNS"), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 3;
    private static readonly int Warmups =
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_TEXT_WARMUPS"), System.Globalization.CultureInfo.InvariantCulture, out var w) ? w : 1;
    private const int Seed = 1;
    private const string Data = "spam-assassin.csv";
    private const string Label = "label";
    private const string Positive = "spam";
    private const string Leak = "group";
    /// <summary>The trainers timed; <c>PLATFORM_BENCH_TEXT_TRAINERS</c> (comma-separated) picks some of them.</summary>
    private static readonly string[] TimedTrainers = Environment.GetEnvironmentVariable("PLATFORM_BENCH_TEXT_TRAINERS") is { Length: > 0 } chosen
        ? chosen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : ["lightgbm", "sdca_logistic"];

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var csv = Path.Combine(datasetsFolder, Data);
        if (!File.Exists(csv))
        {
            Console.WriteLine($"skipped text training: {csv} not found (set PLATFORM_DATASETS)");
            return [];
        }
        var featurisation = string.Join(", ", TextFeaturization.StepParameters().Select(p => $"{p.Key}={p.Value}"));
        var results = new List<BenchmarkResult>();

        await using (var platform = await StandalonePlatform.StartAsync())
        {
            var dataset = await platform.UploadAsync(csv, Datasets.V1.DatasetFormat.Csv);
            var file = ReadAs(csv, dataset);
            string[] text = [.. file.Columns.Where(c => c.Kind == ColumnKind.Text).Select(c => c.Name)];
            Console.WriteLine($"Text classification on {Data} ({string.Join(", ", text)} as text; {featurisation}): raw ML.NET vs platform " +
                              $"(standalone, submit → Succeeded), {Warmups} warm-up + {Repetitions} runs each, interleaved; load average {TrainingOverhead.LoadAverage()}");
            foreach (var trainer in TimedTrainers)
            {
                var raws = new List<double>();
                var platforms = new List<double>();
                for (var i = 1 - Warmups; i <= Repetitions; i++)
                {
                    var raw = RawTextClassification.Run(ml => DatasetReader.Open(ml, file).Rows, Label, Positive, text, trainer, Seed, folds: 0, TrainingSpec.DefaultHoldoutFraction);
                    var (seconds, job) = await platform.TrainAsync(Spec(dataset.Id, trainer));
                    var f1 = job.Result.Metrics["f1"];
                    Console.WriteLine($"  {trainer} {(i <= 0 ? "warm-up" : $"run {i}")}: raw {raw.Seconds:0.0} s (fit {raw.FitSeconds:0.0} s, F1 {raw.Metric:0.0000}), " +
                                      $"platform {seconds:0.0} s (worker {job.Result.TrainingSeconds:0.0} s, F1 {f1:0.0000})" +
                                      $"{(Math.Abs(raw.Metric - f1) < 1e-6 ? "" : "  ← F1 DIFFERS: the baseline is not the platform's pipeline")}");
                    if (i <= 0) continue;
                    raws.Add(raw.Seconds);
                    platforms.Add(seconds);
                }
                var (rawMedian, platformMedian) = (Statistics.Median(raws), Statistics.Median(platforms));
                // The conditions go with the figures (data), not into the mode, which keys the record in docs/benchmarks.json.
                var data = $"{Data}; {featurisation}; median of {Repetitions} runs after {Warmups} warm-up; load average at the end {TrainingOverhead.LoadAverage()}";
                results.Add(new($"training.text_{trainer}.submit_to_succeeded", platformMedian, "s", rawMedian, platformMedian / rawMedian, "<= 1.10", data, "standalone"));
                results.Add(new($"training.text_{trainer}.raw_mlnet", rawMedian, "s", null, null, "baseline", data, "in-process"));
            }
        }

        return results;
    }

    /// <summary>The file as the worker reads it, with the column kinds the model store inferred.</summary>
    private static DatasetFile ReadAs(string csv, Dataset dataset) => new(csv,
        [.. dataset.Columns.Select(c => new DatasetColumn(c.Name, c.Type switch
        {
            ColumnType.Numeric => ColumnKind.Numeric,
            ColumnType.Text => ColumnKind.Text,
            _ => ColumnKind.Categorical,
        }))], Training.Data.DatasetFormat.Csv);

    private static JobSpec Spec(string datasetId, string trainer) => new()
    {
        DatasetId = datasetId,
        Task = Jobs.V1.TrainingTask.BinaryClassification,
        LabelColumn = Label,
        Trainer = trainer,
        Seed = Seed,
        ModelName = "spam-bench",
        Preparation = new Preparation { ExcludeColumns = { Leak } },
    };
}
