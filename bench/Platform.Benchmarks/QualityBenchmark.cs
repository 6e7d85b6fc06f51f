using System.Globalization;
using Platform.Testing;
using Platform.Training;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// Issue 18, acceptance 2 (<c>--filter Quality</c>): quality with defaults, 5-fold stratified cross-validation, seed 1,
/// on iris and penguins (accuracy) and the SpamAssassin corpus (F1 of spam, with <c>group</c>, the source folder,
/// excluded as its profile warning says). The platform's training library runs in this process (<see cref="TrainingRun"/>,
/// as the worker runs a job); the baseline is raw ML.NET written as a user writes it for the same task
/// (<see cref="RawTabularClassification"/>, <see cref="RawTextClassification"/>) on the same folds. Quality does not
/// depend on the machine's load.
/// </summary>
public static class QualityBenchmark
{
    private const int Seed = 1;
    private const int Folds = 5;

    /// <param name="Name">The data set's name in the figures' names.</param>
    /// <param name="Metric">The platform's metric (the mean over the folds).</param>
    /// <param name="FigureName">The metric's part of the figure's name, after <c>cv5_</c>.</param>
    /// <param name="Description">What the data is, for the figure's <c>data</c>.</param>
    private sealed record QualityData(
        string Name, string File, TrainingTask Task, string Label, IReadOnlyList<DatasetColumn> Columns, string[] Excluded,
        string Metric, string FigureName, string Target, string[] Trainers, string Description);

    private static readonly QualityData[] Sets =
    [
        new("iris", "iris.csv", TrainingTask.MulticlassClassification, "species",
            [new("sepal_length", ColumnKind.Numeric), new("sepal_width", ColumnKind.Numeric), new("petal_length", ColumnKind.Numeric),
             new("petal_width", ColumnKind.Numeric), new("species", ColumnKind.Categorical)],
            [], "accuracy", "accuracy", ">= 0.95", ["sdca_maximum_entropy", "lightgbm"], "4 numeric features"),
        new("penguins", "penguins.csv", TrainingTask.MulticlassClassification, "Species",
            [new("Species", ColumnKind.Categorical), new("Island", ColumnKind.Categorical), new("Beak Length (mm)", ColumnKind.Numeric),
             new("Beak Depth (mm)", ColumnKind.Numeric), new("Flipper Length (mm)", ColumnKind.Numeric), new("Body Mass (g)", ColumnKind.Numeric),
             new("Sex", ColumnKind.Categorical)],
            [], "accuracy", "accuracy", ">= 0.98", ["lightgbm", "sdca_maximum_entropy"],
            "4 numeric features, 2 rows missing every number; Island and Sex categorical, 10 rows missing Sex"),
        new("spam", "spam-assassin.csv", TrainingTask.BinaryClassification, "label",
            [new("label", ColumnKind.Categorical), new("subject", ColumnKind.Text), new("body", ColumnKind.Text), new("group", ColumnKind.Categorical)],
            ["group"], "f1", "f1_spam", ">= 0.97", ["sdca_logistic", "averaged_perceptron"],
            $"subject and body as text ({string.Join(", ", TextFeaturization.StepParameters().Select(p => $"{p.Key}={p.Value}"))}), group excluded"),
    ];

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var results = new List<BenchmarkResult>();
        // Iris and penguins are also bundled with the samples.
        var samples = Path.Combine(ServiceProcess.RepositoryRoot(), "samples", "data");
        foreach (var set in Sets)
        {
            var csv = new[] { datasetsFolder, samples }.Select(folder => Path.Combine(folder, set.File)).FirstOrDefault(File.Exists);
            if (csv is null)
            {
                Console.WriteLine($"skipped quality on {set.File}: not found in {datasetsFolder} (set PLATFORM_DATASETS) nor in {samples}");
                continue;
            }
            foreach (var trainer in set.Trainers)
                results.Add(await MeasureAsync(set, csv, trainer));
        }
        return results;
    }

    private static async Task<BenchmarkResult> MeasureAsync(QualityData set, string csv, string trainer)
    {
        var file = new DatasetFile(csv, set.Columns, DatasetFormat.Csv);
        var output = Directory.CreateTempSubdirectory("quality-");
        TrainingResult result;
        try
        {
            result = await TrainingRun.ExecuteAsync(file, new TrainingSpec
            {
                Task = set.Task, LabelColumn = set.Label, Trainer = trainer, Seed = Seed,
                Preparation = new DataPreparation { ExcludeColumns = set.Excluded },
                Evaluation = new EvaluationSpec { Folds = Folds },
            }, output.FullName);
        }
        finally
        {
            output.Delete(recursive: true);
        }
        var value = result.Metrics[set.Metric];
        var figure = set.FigureName.Replace('_', ' ');
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Quality, {set.Name} {trainer}, {Folds}-fold stratified CV, seed {Seed}, defaults: platform {figure} {value:0.0000} ± {result.Metrics[MetricNames.StandardDeviationOf(set.Metric)]:0.0000} " +
            $"(folds {string.Join(" / ", result.Evaluation.FoldResults.Select(f => f.Metrics[set.Metric].ToString("0.0000", CultureInfo.InvariantCulture)))}; " +
            $"training {result.Timings.Training.TotalSeconds:0.0} s); load average {TrainingOverhead.LoadAverage()}"));

        var raw = set.Task == TrainingTask.BinaryClassification
            ? RawTextClassification.Run(ml => DatasetReader.Open(ml, file).Rows, set.Label, "spam", ["subject", "body"], trainer, Seed, Folds, 0)
            : RawTabularClassification.Run(csv, set.Columns, set.Label, trainer, Seed, Folds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  raw ML.NET, same folds: {figure} {raw.Metric:0.0000} (folds {string.Join(" / ", raw.PerRound.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))}; " +
            $"fits {raw.FitSeconds:0.0} s); ratio {value / raw.Metric:0.0000}"));

        var baseline = set.Task == TrainingTask.BinaryClassification
            ? $"raw ML.NET on the same folds: the platform's text featurisation, min-max, {trainer} with the catalogue's defaults"
            : $"raw ML.NET on the same folds: {RawTabularClassification.Describe(set.Columns, set.Label, trainer)}";
        return new($"quality.{set.Name}_{trainer}.cv{Folds}_{set.FigureName}", value, "score", raw.Metric, value / raw.Metric, set.Target,
            string.Create(CultureInfo.InvariantCulture, $"{set.File} ({result.Rows.Total:N0} rows; {set.Description})"),
            $"in-process TrainingRun, {Folds}-fold stratified CV, seed {Seed}, defaults{(set.Excluded.Length > 0 ? $", {string.Join(", ", set.Excluded)} excluded" : "")}; baseline: {baseline}");
    }
}
