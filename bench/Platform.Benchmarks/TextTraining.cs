using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Training;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// Text at speed and quality, on the SpamAssassin corpus (spam-assassin.csv, 6,046 mails; <c>group</c>, the source
/// folder, excluded as its profile warning says). Speed (<c>TextTraining</c>): LightGBM and SDCA, submit to Succeeded through the standalone
/// platform against the same job written directly against ML.NET in this process (<see cref="RawTextClassification"/>:
/// same rows, split, featurisation, trainer settings and seed, so both print the same F1), 1 warm-up and
/// <c>PLATFORM_BENCH_TEXT_RUNS</c> runs (default 3) each, interleaved; medians compared. Quality (<c>TextQuality</c>): linear trainers with 5-fold stratified cross-validation, seed 1, in process, against raw ML.NET's F1 on the same folds.
/// </summary>
public static class TextTraining
{
    private static readonly int Repetitions =
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_TEXT_RUNS"), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 3;
    private const int Seed = 1;
    private const string Data = "spam-assassin.csv";
    private const string Label = "label";
    private const string Positive = "spam";
    private const string Leak = "group";
    private static readonly string[] TimedTrainers = ["lightgbm", "sdca_logistic"];

    /// <summary>The trainers whose 5-fold F1 is held to issue 18's bar (F1 (spam) at least 0.97).</summary>
    private static readonly string[] QualityTrainers = ["sdca_logistic", "averaged_perceptron"];

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
                              $"(standalone, submit → Succeeded), 1 warm-up + {Repetitions} runs each, interleaved; load average {TrainingOverhead.LoadAverage()}");
            foreach (var trainer in TimedTrainers)
            {
                var raws = new List<double>();
                var platforms = new List<double>();
                for (var i = 0; i <= Repetitions; i++)
                {
                    var raw = RawTextClassification.Run(ml => DatasetReader.Open(ml, file).Rows, Label, Positive, text, trainer, Seed, folds: 0, TrainingSpec.DefaultHoldoutFraction);
                    var (seconds, job) = await platform.TrainAsync(Spec(dataset.Id, trainer));
                    var f1 = job.Result.Metrics["f1"];
                    Console.WriteLine($"  {trainer} {(i == 0 ? "warm-up" : $"run {i}")}: raw {raw.Seconds:0.0} s (fit {raw.FitSeconds:0.0} s, F1 {raw.F1:0.0000}), " +
                                      $"platform {seconds:0.0} s (worker {job.Result.TrainingSeconds:0.0} s, F1 {f1:0.0000})" +
                                      $"{(Math.Abs(raw.F1 - f1) < 1e-6 ? "" : "  ← F1 DIFFERS: the baseline is not the platform's pipeline")}");
                    if (i == 0) continue;
                    raws.Add(raw.Seconds);
                    platforms.Add(seconds);
                }
                var (rawMedian, platformMedian) = (Statistics.Median(raws), Statistics.Median(platforms));
                var mode = $"standalone; load average at the end {TrainingOverhead.LoadAverage()}";
                results.Add(new($"training.text_{trainer}.submit_to_succeeded", platformMedian, "s", rawMedian, platformMedian / rawMedian, "<= 1.10", $"{Data}; {featurisation}", mode));
                results.Add(new($"training.text_{trainer}.raw_mlnet", rawMedian, "s", null, null, "baseline", $"{Data}; {featurisation}", "in-process"));
            }
        }

        return results;
    }

    /// <summary>
    /// Issue 18's bar, a benchmark of its own (<c>--filter TextQuality</c>): the platform's 5-fold F1 (spam) with
    /// defaults, in process, and raw ML.NET's on the same folds, for each of <see cref="QualityTrainers"/>.
    /// </summary>
    public static async Task<IReadOnlyList<BenchmarkResult>> QualityAsync(string datasetsFolder)
    {
        var csv = Path.Combine(datasetsFolder, Data);
        if (!File.Exists(csv))
        {
            Console.WriteLine($"skipped text quality: {csv} not found (set PLATFORM_DATASETS)");
            return [];
        }
        var file = new DatasetFile(csv, [new(Label, ColumnKind.Categorical), new("subject", ColumnKind.Text), new("body", ColumnKind.Text), new(Leak, ColumnKind.Categorical)], Training.Data.DatasetFormat.Csv);
        var results = new List<BenchmarkResult>();
        foreach (var trainer in QualityTrainers)
        {
            var output = Directory.CreateTempSubdirectory("text-quality-");
            try
            {
                var result = await TrainingRun.ExecuteAsync(file, new TrainingSpec
                {
                    Task = Training.TrainingTask.BinaryClassification, LabelColumn = Label, Trainer = trainer, Seed = Seed,
                    Preparation = new DataPreparation { ExcludeColumns = [Leak] },
                    Evaluation = new Training.Evaluation.EvaluationSpec { Folds = 5 },
                }, output.FullName);
                var f1 = result.Metrics["f1"];
                Console.WriteLine($"Quality, {trainer}, 5-fold stratified CV, seed 1, defaults: platform F1 (spam) {f1:0.0000} " +
                                  $"(accuracy {result.Metrics["accuracy"]:0.0000} ± {result.Metrics["accuracy_std"]:0.0000}, training {result.Timings.Training.TotalSeconds:0.0} s); " +
                                  $"load average {TrainingOverhead.LoadAverage()}");
                var raw = RawTextClassification.Run(ml => DatasetReader.Open(ml, file).Rows, Label, Positive, ["subject", "body"], trainer, Seed, folds: 5, 0);
                Console.WriteLine($"  raw ML.NET, same folds and featurisation: F1 (spam) {raw.F1:0.0000} ({raw.Seconds:0.0} s)");
                results.Add(new($"quality.spam_{trainer}.cv5_f1_spam", f1, "score", raw.F1, f1 / raw.F1, ">= 0.97", Data,
                    "in-process, 5-fold stratified CV, seed 1, defaults, group excluded; baseline: raw ML.NET, same folds and featurisation"));
            }
            finally
            {
                output.Delete(recursive: true);
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
