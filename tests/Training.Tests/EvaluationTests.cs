using System.Globalization;
using Platform.Training.Data;
using Platform.Training.Evaluation;

namespace Platform.Training.Tests;

public sealed class EvaluationTests : IDisposable
{
    private const int Seed = 5;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly int[] Strata = [.. Enumerable.Repeat(0, 50), .. Enumerable.Repeat(1, 30), .. Enumerable.Repeat(2, 7), .. Enumerable.Repeat(3, 2), 4];

    [Fact]
    public void A_stratified_holdout_keeps_each_class_share_and_puts_every_class_of_two_rows_or_more_on_both_sides()
    {
        var heldOut = DataSplit.Holdout(Strata.Length, Strata, 0.2, Seed);

        var byClass = Strata.Zip(heldOut).GroupBy(p => p.First).ToDictionary(g => g.Key, g => (Held: g.Count(p => p.Second), Kept: g.Count(p => !p.Second)));
        Assert.Equal((10, 40), byClass[0]); // 50 × 0.2
        Assert.Equal((6, 24), byClass[1]);  // 30 × 0.2
        Assert.Equal((1, 6), byClass[2]);   // 7 × 0.2 = 1.4 → 1
        Assert.Equal((1, 1), byClass[3]);   // 0.4 rounds to 0, raised to 1 so both sides see the class
        Assert.Equal((0, 1), byClass[4]);   // a single row trains
    }

    [Fact]
    public void A_split_depends_on_the_seed_alone()
    {
        Assert.Equal(DataSplit.Holdout(Strata.Length, Strata, 0.3, Seed), DataSplit.Holdout(Strata.Length, Strata, 0.3, Seed));
        Assert.NotEqual(DataSplit.Holdout(Strata.Length, Strata, 0.3, Seed), DataSplit.Holdout(Strata.Length, Strata, 0.3, Seed + 1));
        Assert.Equal(DataSplit.Folds(Strata.Length, null, 4, Seed), DataSplit.Folds(Strata.Length, null, 4, Seed));
        // SplitMix64 fixes the values for good: this is what seed 5 gives on any machine and any .NET.
        Assert.Equal([0, 1, 0, 0, 2, 1, 2, 2, 1, 0], DataSplit.Folds(10, null, 3, Seed));
    }

    [Fact]
    public void An_unstratified_holdout_takes_the_share_of_all_rows()
    {
        var heldOut = DataSplit.Holdout(101, null, 0.25, Seed);

        Assert.Equal(25, heldOut.Count(h => h)); // 25.25 rounds to 25
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Folds_cover_every_row_once_with_sizes_that_differ_by_at_most_one(bool stratified)
    {
        var folds = DataSplit.Folds(Strata.Length, stratified ? Strata : null, 5, Seed);

        var sizes = Enumerable.Range(0, 5).Select(f => folds.Count(x => x == f)).ToArray();
        Assert.Equal(Strata.Length, sizes.Sum());
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        if (!stratified) return;
        foreach (var group in Strata.Zip(folds).GroupBy(p => p.First))
        {
            var perFold = Enumerable.Range(0, 5).Select(f => group.Count(p => p.Second == f)).ToArray();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {group.Key}: {string.Join(",", perFold)}");
        }
    }

    [Fact]
    public async Task Cross_validation_metrics_are_the_mean_of_folds_that_each_equal_the_same_pipeline_built_directly_with_MLNET()
    {
        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", new EvaluationSpec { Folds = 3 });

        var report = result.Evaluation;
        Assert.Equal((EvaluationMethod.CrossValidation, 3, true), (report.Method, report.Folds, report.Stratified));
        var usable = DirectPipeline.UsableRows(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", out var strata);
        var folds = DataSplit.Folds(usable.Length, strata, 3, Seed);
        for (var fold = 0; fold < 3; fold++)
        {
            var evaluated = usable.Where((_, i) => folds[i] == fold).ToHashSet();
            var expected = DirectPipeline.TrainAndEvaluate(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", Seed, evaluated);
            var actual = report.FoldResults[fold];
            Assert.Equal((fold + 1, usable.Length - evaluated.Count, (long)evaluated.Count), (actual.Fold, actual.TrainingRows, actual.EvaluatedRows));
            Assert.Equal(expected.Where(m => !m.Key.Contains('[', StringComparison.Ordinal)).OrderBy(m => m.Key), actual.Metrics.OrderBy(m => m.Key));
        }
        foreach (var (name, mean) in report.Metrics)
        {
            var values = report.FoldResults.Select(f => f.Metrics[name]).ToArray();
            Assert.Equal(values.Sum() / 3, mean, 12);
            Assert.Equal(Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / 2), report.StandardDeviations[name], 12);
            Assert.Equal(report.StandardDeviations[name], result.Metrics[name + "_std"]);
        }
    }

    [Fact]
    public async Task Cross_validation_predicts_every_row_once_in_file_order_and_saves_a_model_fitted_on_every_row()
    {
        var result = await Run(SampleData.Iris, TrainingTask.MulticlassClassification, "species", "lightgbm", new EvaluationSpec { Folds = 4 });

        var source = File.ReadAllLines(SampleData.Iris.Path).Skip(1).Where(l => l.Length > 0).ToArray();
        var predictions = File.ReadAllLines(result.Predictions.Path);
        Assert.Equal("sepal_length,sepal_width,petal_length,petal_width,species,predicted_label,probability[setosa],probability[versicolor],probability[virginica],fold", predictions[0]);
        var rows = predictions.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(source.Select(l => l.Split(',').Take(5).Select(v => float.TryParse(v, CultureInfo.InvariantCulture, out var f) ? f.ToString("R", CultureInfo.InvariantCulture) : v)),
            rows.Select(r => r.Take(5)));
        Assert.Equal(result.Evaluation.FoldResults.Select(f => f.EvaluatedRows), Enumerable.Range(1, 4).Select(f => (long)rows.Count(r => r[^1] == f.ToString(CultureInfo.InvariantCulture))));
        Assert.Equal((150L, 150L), (result.Rows.Training, result.Rows.Evaluated));
        // The confusion matrix counts the out-of-fold predictions written to the file.
        var matrix = result.Evaluation.ConfusionMatrix!;
        for (var a = 0; a < 3; a++)
            for (var p = 0; p < 3; p++)
                Assert.Equal(rows.Count(r => r[4] == matrix.Classes[a] && r[5] == matrix.Classes[p]), matrix.Counts[a][p]);
    }

    [Fact]
    public async Task Per_class_figures_agree_with_the_confusion_matrix_and_are_flattened_by_class_name()
    {
        var result = await Run(SampleData.PenguinsSex(_temp.Path), TrainingTask.BinaryClassification, "Sex", "lightgbm", EvaluationSpec.Default);

        var report = result.Evaluation;
        var matrix = report.ConfusionMatrix!;
        Assert.Equal(["FEMALE", "MALE"], matrix.Classes);
        Assert.Equal(result.Rows.Evaluated, matrix.Counts.Sum(row => row.Sum()));
        // Binary: the positive class is the second; its figures are also the plain precision, recall and F1.
        var male = report.Classes.Single(c => c.Class == "MALE");
        Assert.Equal(matrix.Counts[1].Sum(), male.Support);
        Assert.Equal((double)matrix.Counts[1][1] / (matrix.Counts[0][1] + matrix.Counts[1][1]), male.Precision, 12);
        Assert.Equal(report.Metrics["precision"], male.Precision, 12);
        Assert.Equal(report.Metrics["recall"], result.Metrics["recall[MALE]"], 12);
        Assert.Equal(report.Metrics["accuracy"], report.Metrics["micro_f1"], 12);
        Assert.Equal((report.Classes[0].F1 + report.Classes[1].F1) / 2, report.Metrics["macro_f1"], 12);
        Assert.Contains("pr_auc", report.Metrics.Keys);
    }

    [Fact]
    public async Task Feature_importance_is_zero_for_a_column_no_model_can_use_and_positive_for_one_it_relies_on()
    {
        var data = SampleData.PenguinsWithConstant(_temp.Path);
        var evaluation = new EvaluationSpec { FeatureImportance = true, Permutations = 3 };

        var result = await Run(data, TrainingTask.MulticlassClassification, "Species", "lightgbm", evaluation);
        var again = await Run(data, TrainingTask.MulticlassClassification, "Species", "lightgbm", evaluation);

        var importance = result.Evaluation.FeatureImportance.ToDictionary(f => f.Column);
        Assert.Equal("accuracy", result.Evaluation.ImportanceMetric);
        Assert.Equal(["Island", "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex", "Constant"],
            result.Evaluation.FeatureImportance.Select(f => f.Column));
        Assert.Equal((0, 0), (importance["Constant"].MeanDecrease, importance["Constant"].StandardDeviation));
        Assert.True(importance["Beak Length (mm)"].MeanDecrease > 0.05, $"beak length: {importance["Beak Length (mm)"].MeanDecrease}");
        Assert.Equal(result.Evaluation.FeatureImportance, again.Evaluation.FeatureImportance);
        Assert.Equal(result.EvaluationFile.Sha256, again.EvaluationFile.Sha256);
    }

    [Fact]
    public async Task Clustering_reports_distance_and_separation_and_with_a_label_how_well_clusters_match_it()
    {
        var labelled = await Run(SampleData.Iris, TrainingTask.Clustering, "species", "kmeans", new EvaluationSpec { Folds = 3 });
        var unlabelled = await Run(SampleData.Iris, TrainingTask.Clustering, null, "kmeans", EvaluationSpec.Default);

        Assert.Equal(["average_distance", "davies_bouldin", "normalized_mutual_information"], labelled.Evaluation.Metrics.Keys.Order());
        Assert.True(labelled.Evaluation.Stratified);
        Assert.Equal(["average_distance", "davies_bouldin"], unlabelled.Evaluation.Metrics.Keys.Order());
        Assert.False(unlabelled.Evaluation.Stratified);
        Assert.Null(unlabelled.Evaluation.ConfusionMatrix);
        Assert.Empty(unlabelled.Classes);
    }

    [Theory]
    [InlineData(TrainingTask.Regression, "Body Mass (g)", 1, null, false, "evaluation.folds", "1 is out of range")]
    [InlineData(TrainingTask.Regression, "Body Mass (g)", 0, true, false, "evaluation.stratified", "regression has no classes to stratify by")]
    [InlineData(TrainingTask.Clustering, null, 0, true, false, "evaluation.stratified", "clustering has no classes to stratify by (give a label column)")]
    [InlineData(TrainingTask.Clustering, "Species", 0, null, true, "evaluation.feature_importance", "is not available for clustering")]
    [InlineData(TrainingTask.Regression, null, 0, null, false, "label_column", "is required for regression")]
    public void Evaluation_choices_that_do_not_fit_the_task_name_the_field(
        TrainingTask task, string? label, int folds, bool? stratified, bool importance, string field, string reason)
    {
        var spec = new TrainingSpec
        {
            Task = task, LabelColumn = label ?? "", Trainer = task == TrainingTask.Clustering ? "kmeans" : "lightgbm", Seed = 1,
            Evaluation = new EvaluationSpec { Folds = folds, Stratified = stratified, FeatureImportance = importance },
        };

        var error = Assert.Throws<SpecValidationException>(() => spec.Validate(SampleData.Penguins.Columns));

        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string? label, string trainer, EvaluationSpec evaluation) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label ?? "", Trainer = trainer, Seed = Seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
            Evaluation = evaluation,
        }, _temp.File($"run-{Guid.NewGuid():N}"));
}
