using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Contracts;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

/// <summary>
/// A cross-validation whose folds run on their own (<c>evaluation.parallel_folds</c>: one run per fold, then the run that fits
/// on every row and reports the folds) ends with exactly the serial run's result: each fold's figures, the mean and sample
/// standard deviation, the per-class figures and confusion matrix pooled over the folds, feature importance, and the same
/// bytes of the model, the predictions file and evaluation.json. The fold runs go last to first, and their outcomes travel
/// through JSON as they do over the bus and in the scheduler's rows.
/// </summary>
public sealed class FoldFanOutTests : IDisposable
{
    private const int Seed = 11;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Binary_classification_with_text_and_feature_importance_fanned_out_equals_the_serial_run()
    {
        // Averaged perceptron shuffles the rows with the trainer context's random source: the fold runs must draw what the serial run draws.
        var spec = Spec(TrainingTask.BinaryClassification, "label", "averaged_perceptron", new EvaluationSpec { Folds = 5, FeatureImportance = true, Permutations = 2 },
            new DataPreparation { ExcludeColumns = ["group"] });

        var (serial, fanned, folds) = await BothWays(SampleData.SpamEvery(_temp.Path, 3), spec);

        AssertSameResult(serial, fanned, folds);
        Assert.Equal(2, serial.Evaluation.ConfusionMatrix!.Counts.Count);
        Assert.NotEmpty(serial.Evaluation.FeatureImportance);
    }

    [Fact]
    public async Task Multiclass_classification_fanned_out_equals_the_serial_run()
    {
        var spec = Spec(TrainingTask.MulticlassClassification, "Species", "lightgbm", new EvaluationSpec { Folds = 5 },
            new DataPreparation { ClassWeighting = ClassWeighting.Balanced });

        var (serial, fanned, folds) = await BothWays(SampleData.Penguins, spec);

        AssertSameResult(serial, fanned, folds);
        Assert.Equal(3, serial.Evaluation.Classes.Count);
    }

    [Fact]
    public async Task Regression_with_feature_importance_fanned_out_equals_the_serial_run()
    {
        // SDCA shuffles too; the label has missing values, so the rows are picked by position.
        var spec = Spec(TrainingTask.Regression, "Body Mass (g)", "sdca_regression", new EvaluationSpec { Folds = 5, FeatureImportance = true, Permutations = 3 });

        var (serial, fanned, folds) = await BothWays(SampleData.Penguins, spec);

        AssertSameResult(serial, fanned, folds);
        Assert.Contains(MetricNames.StandardDeviationOf(MetricNames.Rmse), serial.Metrics.Keys);
        Assert.True(serial.Evaluation.StandardDeviations[MetricNames.Rmse] > 0);
    }

    /// <summary>Every trainer of the catalogue, for every task: their fold runs and final fit reproduce the serial run's draws.</summary>
    [Theory]
    [MemberData(nameof(TrainingRunTests.Trainers), MemberType = typeof(TrainingRunTests))]
    public async Task Every_trainer_fanned_out_gives_the_serial_runs_folds_and_model(TrainingTask task, string trainer, string dataName, string? label)
    {
        var spec = Spec(task, label, trainer, new EvaluationSpec { Folds = 3 });

        var (serial, fanned, folds) = await BothWays(SampleData.Named(dataName, _temp.Path), spec);

        AssertSameResult(serial, fanned, folds);
    }

    [Fact]
    public async Task A_fold_whose_scored_rows_are_missing_or_damaged_is_scored_again_by_the_final_run_with_the_same_result()
    {
        var spec = Spec(TrainingTask.BinaryClassification, "Sex", "sdca_logistic", new EvaluationSpec { Folds = 4 });
        var data = SampleData.PenguinsSex(_temp.Path);
        var serial = await TrainingRun.ExecuteAsync(data, spec, _temp.File("serial"));
        var folds = await FoldRuns(data, spec);
        File.WriteAllBytes(folds[2].ScoredRows.Path, [.. File.ReadAllBytes(folds[2].ScoredRows.Path).Take(100)]);

        var fanned = await TrainingRun.ExecuteAsync(data, Parallel(spec),
            [.. folds.Select((f, i) => new FoldInput(ThroughJson(f.Outcome), i == 0 ? null : f.ScoredRows.Path))], _temp.File("final"));

        AssertSameResult(serial, fanned, folds);
    }

    [Fact]
    public async Task A_fold_run_fails_with_the_serial_runs_reason_for_that_fold()
    {
        // 4 rows of the rare class and 5 folds: the serial run stops at the fold left without one (fold 1: the rare rows go to folds 2 to 5).
        var rows = Enumerable.Range(0, 40).Select(i => $"{i % 9 + 0.5},{(i < 4 ? "rare" : "common")}");
        var data = SampleData.Write(_temp.Path, "rare.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)], rows);
        var spec = Spec(TrainingTask.BinaryClassification, "y", "lightgbm", new EvaluationSpec { Folds = 5 });

        var serial = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingRun.ExecuteAsync(data, spec, _temp.File("serial")));
        var fold = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingRun.ExecuteFoldAsync(data, Parallel(spec), 1, _temp.File("fold-1")));

        Assert.Equal(serial.Message, fold.Message);
        Assert.Contains("fold 1", fold.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parallel_folds_without_a_cross_validation_name_the_field()
    {
        var spec = Spec(TrainingTask.Regression, "Body Mass (g)", "lightgbm", new EvaluationSpec { ParallelFolds = true });

        var error = Assert.Throws<SpecValidationException>(() => spec.Validate(SampleData.Penguins.Columns));

        Assert.Equal("evaluation.parallel_folds", error.Field);
        Assert.Contains("set evaluation.folds to 2 to 20", error.Reason, StringComparison.Ordinal);
    }

    private static TrainingSpec Spec(TrainingTask task, string? label, string trainer, EvaluationSpec evaluation, DataPreparation? preparation = null) => new()
    {
        Task = task, LabelColumn = label ?? "", Trainer = trainer, Seed = Seed,
        Hyperparameters = DirectPipeline.Hyperparameters(trainer),
        Evaluation = evaluation,
        Preparation = preparation ?? DataPreparation.Default,
    };

    private static TrainingSpec Parallel(TrainingSpec spec) => spec with { Evaluation = spec.Evaluation with { ParallelFolds = true } };

    /// <summary>The serial run, and the same spec with its folds run on their own (last first) and then ended by the final run.</summary>
    private async Task<(TrainingResult Serial, TrainingResult Fanned, FoldRunResult[] Folds)> BothWays(CsvDataset data, TrainingSpec spec)
    {
        var serial = await TrainingRun.ExecuteAsync(data, spec, _temp.File("serial"));
        var folds = await FoldRuns(data, spec);
        var fanned = await TrainingRun.ExecuteAsync(data, Parallel(spec),
            [.. folds.Select(f => new FoldInput(ThroughJson(f.Outcome), f.ScoredRows.Path))], _temp.File("final"));
        return (serial, fanned, folds);
    }

    private async Task<FoldRunResult[]> FoldRuns(CsvDataset data, TrainingSpec spec)
    {
        var folds = new FoldRunResult[spec.Evaluation.Folds];
        for (var fold = folds.Length; fold >= 1; fold--)
            folds[fold - 1] = await TrainingRun.ExecuteFoldAsync(data, Parallel(spec), fold, _temp.File($"fold-{fold}"));
        return folds;
    }

    private static FoldOutcome ThroughJson(FoldOutcome outcome) => JsonSerializer.Deserialize<FoldOutcome>(JsonSerializer.Serialize(outcome, Json), Json)!;

    private static void AssertSameResult(TrainingResult serial, TrainingResult fanned, IReadOnlyList<FoldRunResult> folds)
    {
        var expected = serial.Evaluation;
        var actual = fanned.Evaluation;
        Assert.Equal(Bits(serial.Metrics), Bits(fanned.Metrics));
        Assert.Equal(Bits(expected.Metrics), Bits(actual.Metrics));
        Assert.Equal(Bits(expected.StandardDeviations), Bits(actual.StandardDeviations));
        Assert.Equal(expected.FoldResults.Select(Fold), actual.FoldResults.Select(Fold));
        // Each fold run measured exactly the serial run's fold.
        Assert.Equal(expected.FoldResults.Select(Fold), folds.Select(f => (f.Outcome.Fold, f.Outcome.TrainingRows, f.Outcome.EvaluatedRows, Bits(f.Outcome.Metrics))));
        Assert.Equal(expected.Classes, actual.Classes);
        Assert.Equal(expected.ConfusionMatrix?.Counts.Select(r => r.ToArray()), actual.ConfusionMatrix?.Counts.Select(r => r.ToArray()));
        Assert.Equal(expected.FeatureImportance, actual.FeatureImportance);
        Assert.Equal(serial.Rows, fanned.Rows);
        Assert.Equal((serial.Model.Sha256, serial.Predictions.Sha256, serial.EvaluationFile.Sha256),
            (fanned.Model.Sha256, fanned.Predictions.Sha256, fanned.EvaluationFile.Sha256));
    }

    private static (int, long, long, string) Fold(FoldEvaluation fold) => (fold.Fold, fold.TrainingRows, fold.EvaluatedRows, Bits(fold.Metrics));

    /// <summary>Every figure by name with its exact bits (NaN included), as one comparable text.</summary>
    private static string Bits(IReadOnlyDictionary<string, double> metrics) =>
        string.Join("; ", metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={BitConverter.DoubleToInt64Bits(m.Value):x16}"));
}
