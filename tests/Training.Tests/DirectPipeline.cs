using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using Platform.Training.Data;
using Platform.Training.Evaluation;

namespace Platform.Training.Tests;

/// <summary>What the oracle prepares differently from the defaults (column names per choice).</summary>
internal sealed record OraclePreparation
{
    public string[] Exclude { get; init; } = [];
    public string[] Median { get; init; } = [];
    public string[] MostFrequent { get; init; } = [];
    public string[] Indicator { get; init; } = [];
    public string[] Hashed { get; init; } = [];
    public int HashingBits { get; init; } = 16;
    public string[] Text { get; init; } = [];
    /// <summary>"min_max", "mean_variance", "none", or null for the trainer family's default.</summary>
    public string? Normalization { get; init; }
}

/// <summary>
/// The test oracle: what a training run must compute, written out by hand with plain ML.NET calls (its
/// own column names, its own way of dropping unlabelled rows and picking the split's rows, explicit
/// trainer options, fill-in values computed with LINQ). Only the choice of rows is the platform's:
/// <see cref="DataSplit"/> is public and documented, and tested on its own.
/// </summary>
internal static class DirectPipeline
{
    private const string Label = "Label";
    private const string Features = "Features";
    private const string RowNumber = "row_number";

    /// <summary>The non-default hyperparameters the tests train with, small enough to keep tests quick.</summary>
    public static IReadOnlyDictionary<string, string> Hyperparameters(string trainer) => trainer switch
    {
        "lightgbm" => new Dictionary<string, string>
        {
            ["number_of_iterations"] = "20", ["learning_rate"] = "0.2", ["number_of_leaves"] = "8",
            ["minimum_example_count_per_leaf"] = "5", ["l2_regularization"] = "0.5", ["l1_regularization"] = "0.1",
        },
        "fast_tree" => new Dictionary<string, string>
        {
            ["number_of_trees"] = "20", ["number_of_leaves"] = "8", ["minimum_example_count_per_leaf"] = "5", ["learning_rate"] = "0.3",
        },
        "fast_forest" => new Dictionary<string, string>
        {
            ["number_of_trees"] = "20", ["number_of_leaves"] = "8", ["minimum_example_count_per_leaf"] = "5",
            ["feature_fraction"] = "0.8", ["bagging_example_fraction"] = "0.6",
        },
        "gam" => new Dictionary<string, string>
        {
            ["number_of_iterations"] = "50", ["learning_rate"] = "0.05", ["maximum_bin_count_per_feature"] = "64", ["minimum_example_count_per_leaf"] = "5",
        },
        "sdca_regression" or "sdca_logistic" or "sdca_maximum_entropy" => new Dictionary<string, string>
        {
            ["l2_regularization"] = "0.01", ["l1_regularization"] = "0.001", ["maximum_number_of_iterations"] = "20", ["convergence_tolerance"] = "0.05",
        },
        "lbfgs_logistic" or "lbfgs_maximum_entropy" or "lbfgs_poisson" => new Dictionary<string, string>
        {
            ["l2_regularization"] = "0.5", ["l1_regularization"] = "0.25", ["optimization_tolerance"] = "0.00001",
            ["history_size"] = "10", ["maximum_number_of_iterations"] = "50", ["enforce_non_negativity"] = "true",
        },
        "averaged_perceptron" => new Dictionary<string, string>
        {
            ["learning_rate"] = "0.5", ["decrease_learning_rate"] = "true", ["l2_regularization"] = "0.001", ["number_of_iterations"] = "5",
        },
        "linear_svm" => new Dictionary<string, string>
        {
            ["lambda"] = "0.01", ["number_of_iterations"] = "5", ["batch_size"] = "2", ["perform_projection"] = "true",
        },
        "online_gradient_descent" => new Dictionary<string, string>
        {
            ["learning_rate"] = "0.05", ["decrease_learning_rate"] = "false", ["l2_regularization"] = "0.001", ["number_of_iterations"] = "5",
        },
        "kmeans" => new Dictionary<string, string>
        {
            ["number_of_clusters"] = "3", ["maximum_number_of_iterations"] = "50", ["optimization_tolerance"] = "0.00001",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(trainer), trainer, null),
    };

    /// <summary>Trains on the rows the platform's stratified holdout keeps for training and evaluates on the others.</summary>
    public static IReadOnlyDictionary<string, double> TrainAndEvaluate(
        CsvDataset data, TrainingTask task, string? labelName, string trainer, int seed, double holdoutFraction,
        OraclePreparation? preparation = null, bool stratified = true)
    {
        var usable = UsableRows(data, task, labelName, out var strata);
        var heldOut = DataSplit.Holdout(usable.Length, stratified ? strata : null, holdoutFraction, seed);
        return TrainAndEvaluate(data, task, labelName, trainer, seed, usable.Where((_, i) => heldOut[i]).ToHashSet(), preparation);
    }

    /// <summary>
    /// The usable rows (file row numbers, 0-based, in order) and their strata: the class index of each, with
    /// the classes in the platform's order (ordinal for text, numeric order for numbers, false before true).
    /// </summary>
    public static int[] UsableRows(CsvDataset data, TrainingTask task, string? labelName, out int[]? strata)
    {
        using var numbered = new NumberedCopy(data);
        var (ml, raw) = Load(data, numbered.Path, 0);
        var labelled = DropUnlabelled(ml, raw, data, labelName);
        var rows = labelled.GetColumn<float>(RowNumber).Select(r => (int)r).ToArray();
        strata = null;
        if (labelName is null || task == TrainingTask.Regression) return rows;
        var label = data.Columns.Single(c => c.Name == labelName);
        if (label.Kind == ColumnKind.Numeric)
        {
            var values = labelled.GetColumn<float>(labelName).ToArray();
            var classes = values.Distinct().Order().ToList();
            strata = [.. values.Select(v => classes.IndexOf(v))];
        }
        else
        {
            var values = labelled.GetColumn<string>(labelName)
                .Select(v => label.Kind == ColumnKind.Boolean && task == TrainingTask.BinaryClassification ? bool.Parse(v).ToString() : v).ToArray();
            var classes = values.Distinct().Order(StringComparer.Ordinal).ToList();
            strata = [.. values.Select(v => classes.IndexOf(v))];
        }
        return rows;
    }

    /// <summary>Trains on the usable rows not in <paramref name="evaluatedRows"/> (file row numbers) and evaluates on those.</summary>
    public static IReadOnlyDictionary<string, double> TrainAndEvaluate(
        CsvDataset data, TrainingTask task, string? labelName, string trainer, int seed, IReadOnlySet<int> evaluatedRows,
        OraclePreparation? preparation = null)
    {
        preparation ??= new OraclePreparation();
        using var numbered = new NumberedCopy(data);
        var (ml, raw) = Load(data, numbered.Path, seed);
        var labelled = DropUnlabelled(ml, raw, data, labelName);
        var train = ml.Data.Cache(Rows(ml, labelled, row => !evaluatedRows.Contains(row)));
        var test = Rows(ml, labelled, evaluatedRows.Contains);

        var label = labelName is null ? null : data.Columns.Single(c => c.Name == labelName);
        var features = data.Columns.Where(c => c != label && !preparation.Exclude.Contains(c.Name)).ToArray();
        var pipeline = new EstimatorChain<ITransformer>();
        var trainingLabel = Label;
        switch (task)
        {
            case TrainingTask.MulticlassClassification or TrainingTask.Clustering when label is not null:
                var classes = raw.GetColumn<string>(labelName).Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal)
                    .Select(v => new TextValue { Value = v });
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapValueToKey(Label, labelName, keyData: ml.Data.LoadFromEnumerable(classes)));
                break;
            case TrainingTask.BinaryClassification when label!.Kind == ColumnKind.Numeric:
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapValue(Label,
                    [new KeyValuePair<float, bool>(0, false), new KeyValuePair<float, bool>(1, true)], labelName));
                break;
            case TrainingTask.BinaryClassification:
                // Positive class: true for booleans, the ordinal greater value for categories.
                var values = raw.GetColumn<string>(labelName).Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToArray();
                var pairs = label.Kind == ColumnKind.Boolean
                    ? values.Select(v => new KeyValuePair<string, bool>(v, bool.Parse(v)))
                    : [new KeyValuePair<string, bool>(values[0], false), new KeyValuePair<string, bool>(values[1], true)];
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapValue(Label, pairs, labelName));
                break;
            default:
                trainingLabel = labelName ?? "";
                break;
        }

        // Indicators first (they must see the missing values), then fixed fill-ins, then means.
        foreach (var column in preparation.Indicator)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.IndicateMissingValues("missing_" + column, column))
                .Append<ITransformer>(ml.Transforms.Conversion.ConvertType("missing_" + column, outputKind: DataKind.Single));
        foreach (var column in preparation.Median)
            pipeline = pipeline.Append<ITransformer>(Fill(ml, column, Median(train.GetColumn<float>(column))));
        foreach (var column in preparation.MostFrequent)
        {
            if (features.Single(c => c.Name == column).Kind == ColumnKind.Numeric)
            {
                var mode = train.GetColumn<float>(column).Where(v => !float.IsNaN(v)).GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
                pipeline = pipeline.Append<ITransformer>(Fill(ml, column, mode));
                continue;
            }
            var text = train.GetColumn<string>(column).Where(v => v.Length > 0).GroupBy(v => v)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Expression(column, $"s => s == \"\" ? \"{text}\" : s", column));
        }
        var fixedFills = preparation.Median.Concat(preparation.MostFrequent).ToHashSet();
        var means = features.Where(c => c.Kind == ColumnKind.Numeric && !fixedFills.Contains(c.Name)).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        if (means.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.ReplaceMissingValues(means, MissingValueReplacingEstimator.ReplacementMode.Mean));
        var special = preparation.Hashed.Concat(preparation.Text).ToHashSet();
        var categorical = features.Where(c => c.Kind != ColumnKind.Numeric && !special.Contains(c.Name)).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        if (categorical.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(categorical));
        if (preparation.Hashed.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotHashEncoding(
                [.. preparation.Hashed.Select(c => new InputOutputColumnPair(c))], numberOfBits: preparation.HashingBits));
        // The documented text defaults (docs/training.md, "Text"): word 1-2-grams and character trigrams, each
        // vocabulary capped at its most frequent 20,000 (words, per length) and 10,000 (trigrams).
        foreach (var column in preparation.Text)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Text.FeaturizeText(column, new Microsoft.ML.Transforms.Text.TextFeaturizingEstimator.Options
            {
                WordFeatureExtractor = new Microsoft.ML.Transforms.Text.WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true, MaximumNgramsCount = [20_000, 20_000] },
                CharFeatureExtractor = new Microsoft.ML.Transforms.Text.WordBagEstimator.Options { NgramLength = 3, UseAllLengths = false, MaximumNgramsCount = [10_000] },
            }, column));
        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate(Features,
            [.. features.Select(c => c.Name), .. preparation.Indicator.Select(c => "missing_" + c)]));
        var linear = trainer is not ("lightgbm" or "fast_tree" or "fast_forest" or "gam");
        switch (preparation.Normalization ?? (linear ? "min_max" : "none"))
        {
            case "min_max": pipeline = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax(Features)); break;
            case "mean_variance": pipeline = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMeanVariance(Features)); break;
        }
        // Trainers that pass over the rows many times get the prepared features cached, as the platform does.
        if (linear || (trainer == "fast_tree" && task == TrainingTask.MulticlassClassification))
            pipeline = pipeline.AppendCacheCheckpoint(ml);
        // The platform gives the trainer a context of its own, so its random draws depend on the seed alone.
        pipeline = pipeline.Append(Trainer(new MLContext(seed), task, trainer, trainingLabel, seed));
        if (task == TrainingTask.MulticlassClassification)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var scored = pipeline.Fit(train).Transform(test);
        return Metrics(ml, scored, task, trainer, label is null ? null : trainingLabel, ClassNames(raw, label, task));
    }

    /// <summary>A copy of the file with the row number in front: line by line, which the test data allows (no quoted line breaks).</summary>
    private sealed class NumberedCopy : IDisposable
    {
        public NumberedCopy(CsvDataset data)
        {
            var lines = File.ReadAllLines(data.Path);
            File.WriteAllLines(Path, [$"{RowNumber},{lines[0]}", .. lines.Skip(1).Where(l => l.Length > 0).Select((l, i) => $"{i},{l}")]);
        }

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"platform-oracle-{Guid.NewGuid():N}.csv");

        public void Dispose() => File.Delete(Path);
    }

    private static (MLContext, IDataView) Load(CsvDataset data, string numbered, int seed)
    {
        var ml = new MLContext(seed);
        var loader = ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns =
            [
                new TextLoader.Column(RowNumber, DataKind.Single, 0),
                .. data.Columns.Select((c, i) => new TextLoader.Column(c.Name, c.Kind == ColumnKind.Numeric ? DataKind.Single : DataKind.String, i + 1)),
            ],
            HasHeader = true,
            Separators = [','],
            AllowQuoting = true,
            ReadMultilines = true,
            MissingRealsAsNaNs = true,
        });
        return (ml, loader.Load(numbered));
    }

    private static IDataView DropUnlabelled(MLContext ml, IDataView raw, CsvDataset data, string? labelName)
    {
        if (labelName is null) return raw;
        if (data.Columns.Single(c => c.Name == labelName).Kind == ColumnKind.Numeric)
            return ml.Data.FilterRowsByMissingValues(raw, labelName);
        var copied = ml.Transforms.CopyColumns(nameof(TextValue.Value), labelName).Fit(raw).Transform(raw);
        var kept = ml.Data.FilterByCustomPredicate<TextValue>(copied, row => row.Value.Length == 0);
        return ml.Transforms.DropColumns(nameof(TextValue.Value)).Fit(kept).Transform(kept);
    }

    private static IDataView Rows(MLContext ml, IDataView view, Func<int, bool> keep)
    {
        var kept = ml.Data.FilterByCustomPredicate<RowNumberValue>(view, row => !keep((int)row.Row));
        return ml.Transforms.DropColumns(RowNumber).Fit(kept).Transform(kept);
    }

    private static float Median(IEnumerable<float> column)
    {
        var values = column.Where(v => !float.IsNaN(v)).Order().ToArray();
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (float)(((double)values[(n / 2) - 1] + values[n / 2]) / 2);
    }

    private static ExpressionEstimator Fill(MLContext ml, string column, float value) =>
        ml.Transforms.Expression(column, $"x => isna(x) ? {((double)value).ToString("R", CultureInfo.InvariantCulture)} : x", column);

    private static string[] ClassNames(IDataView raw, DatasetColumn? label, TrainingTask task)
    {
        if (label is null || !task.IsClassification()) return [];
        if (label.Kind == ColumnKind.Numeric)
            return [.. raw.GetColumn<float>(label.Name).Where(v => !float.IsNaN(v)).Distinct().Order().Select(v => v.ToString("R", CultureInfo.InvariantCulture))];
        var values = raw.GetColumn<string>(label.Name).Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToArray();
        return task == TrainingTask.BinaryClassification && label.Kind == ColumnKind.Boolean ? ["false", "true"] : values;
    }

    private static Dictionary<string, double> Metrics(MLContext ml, IDataView scored, TrainingTask task, string trainer, string? label, string[] classes)
    {
        Dictionary<string, double> metrics;
        double[][] confusion;
        switch (task)
        {
            case TrainingTask.BinaryClassification:
                var calibrated = trainer is not ("fast_forest" or "averaged_perceptron" or "linear_svm");
                var binary = calibrated ? ml.BinaryClassification.Evaluate(scored, label) : ml.BinaryClassification.EvaluateNonCalibrated(scored, label);
                metrics = new()
                {
                    ["accuracy"] = binary.Accuracy, ["auc"] = binary.AreaUnderRocCurve, ["pr_auc"] = binary.AreaUnderPrecisionRecallCurve,
                    ["f1"] = binary.F1Score, ["precision"] = binary.PositivePrecision, ["recall"] = binary.PositiveRecall,
                };
                if (binary is CalibratedBinaryClassificationMetrics withProbabilities) metrics["log_loss"] = withProbabilities.LogLoss;
                // ML.NET's matrix is positive first; turn it round to negative first, the class order.
                var c = binary.ConfusionMatrix.Counts;
                confusion = [[c[1][1], c[1][0]], [c[0][1], c[0][0]]];
                break;
            case TrainingTask.MulticlassClassification:
                var multiclass = ml.MulticlassClassification.Evaluate(scored, label);
                metrics = new() { ["accuracy"] = multiclass.MicroAccuracy, ["macro_accuracy"] = multiclass.MacroAccuracy, ["log_loss"] = multiclass.LogLoss };
                confusion = [.. multiclass.ConfusionMatrix.Counts.Select(r => r.ToArray())];
                break;
            case TrainingTask.Regression:
                var regression = ml.Regression.Evaluate(scored, label);
                return new() { ["rmse"] = regression.RootMeanSquaredError, ["mae"] = regression.MeanAbsoluteError, ["r2"] = regression.RSquared };
            default:
                var clustering = ml.Clustering.Evaluate(scored, labelColumnName: label, featureColumnName: Features);
                metrics = new() { ["average_distance"] = clustering.AverageDistance, ["davies_bouldin"] = clustering.DaviesBouldinIndex };
                if (label is not null) metrics["normalized_mutual_information"] = clustering.NormalizedMutualInformation;
                return metrics;
        }

        // Per class (those that occur as truth or prediction), their unweighted means, and the pooled (micro) figures.
        var perClass = new List<(double Precision, double Recall, double F1)>();
        for (var k = 0; k < confusion.Length; k++)
        {
            var actual = confusion[k].Sum();
            var predicted = confusion.Sum(row => row[k]);
            if (actual == 0 && predicted == 0) continue;
            var precision = predicted == 0 ? 0 : confusion[k][k] / predicted;
            var recall = actual == 0 ? 0 : confusion[k][k] / actual;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add((precision, recall, f1));
            metrics[$"precision[{classes[k]}]"] = precision;
            metrics[$"recall[{classes[k]}]"] = recall;
            metrics[$"f1[{classes[k]}]"] = f1;
        }
        metrics["macro_precision"] = Mean(perClass.Select(p => p.Precision));
        metrics["macro_recall"] = Mean(perClass.Select(p => p.Recall));
        metrics["macro_f1"] = Mean(perClass.Select(p => p.F1));
        var micro = Enumerable.Range(0, confusion.Length).Sum(k => confusion[k][k]) / confusion.Sum(row => row.Sum());
        metrics["micro_precision"] = metrics["micro_recall"] = metrics["micro_f1"] = micro;
        return metrics;
    }

    // Summed in class order, as the platform does, so equal inputs give bit-identical means.
    private static double Mean(IEnumerable<double> values)
    {
        double sum = 0;
        var count = 0;
        foreach (var value in values)
        {
            sum += value;
            count++;
        }
        return sum / count;
    }

    private static IEstimator<ITransformer> Trainer(MLContext ml, TrainingTask task, string trainer, string label, int seed)
    {
        switch (trainer, task)
        {
            case ("lightgbm", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfIterations = 20, LearningRate = 0.2, NumberOfLeaves = 8,
                    MinimumExampleCountPerLeaf = 5, Booster = new GradientBooster.Options { L2Regularization = 0.5, L1Regularization = 0.1 },
                    Seed = seed, Deterministic = true, ForceColumnWise = true,
                });
            case ("lightgbm", TrainingTask.MulticlassClassification):
                return ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfIterations = 20, LearningRate = 0.2, NumberOfLeaves = 8,
                    MinimumExampleCountPerLeaf = 5, Booster = new GradientBooster.Options { L2Regularization = 0.5, L1Regularization = 0.1 },
                    Seed = seed, Deterministic = true, ForceColumnWise = true,
                });
            case ("lightgbm", _):
                return ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfIterations = 20, LearningRate = 0.2, NumberOfLeaves = 8,
                    MinimumExampleCountPerLeaf = 5, Booster = new GradientBooster.Options { L2Regularization = 0.5, L1Regularization = 0.1 },
                    Seed = seed, Deterministic = true, ForceColumnWise = true,
                });
            case ("fast_tree", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.FastTree(FastTreeBinary(label, seed));
            case ("fast_tree", TrainingTask.MulticlassClassification):
                return ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(FastTreeBinary(label, seed)), labelColumnName: label);
            case ("fast_tree", _):
                return ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
                    LearningRate = 0.3, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
                });
            case ("fast_forest", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
                    FeatureFraction = 0.8, BaggingExampleFraction = 0.6, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
                });
            case ("fast_forest", _):
                return ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
                    FeatureFraction = 0.8, BaggingExampleFraction = 0.6, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
                });
            case ("gam", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.Gam(new GamBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfIterations = 50, LearningRate = 0.05, MaximumBinCountPerFeature = 64,
                    MinimumExampleCountPerLeaf = 5, Seed = seed, NumberOfThreads = 1,
                });
            case ("gam", _):
                return ml.Regression.Trainers.Gam(new GamRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfIterations = 50, LearningRate = 0.05, MaximumBinCountPerFeature = 64,
                    MinimumExampleCountPerLeaf = 5, Seed = seed, NumberOfThreads = 1,
                });
            case ("sdca_logistic", _):
                return ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.01f, L1Regularization = 0.001f,
                    MaximumNumberOfIterations = 20, ConvergenceTolerance = 0.05f, NumberOfThreads = 1,
                });
            case ("sdca_maximum_entropy", _):
                return ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.01f, L1Regularization = 0.001f,
                    MaximumNumberOfIterations = 20, ConvergenceTolerance = 0.05f, NumberOfThreads = 1,
                });
            case ("sdca_regression", _):
                return ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.01f, L1Regularization = 0.001f,
                    MaximumNumberOfIterations = 20, ConvergenceTolerance = 0.05f, NumberOfThreads = 1,
                });
            case ("lbfgs_logistic", _):
                return ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.5f, L1Regularization = 0.25f,
                    OptimizationTolerance = 0.00001f, HistorySize = 10, MaximumNumberOfIterations = 50, EnforceNonNegativity = true, NumberOfThreads = 1,
                });
            case ("lbfgs_maximum_entropy", _):
                return ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.5f, L1Regularization = 0.25f,
                    OptimizationTolerance = 0.00001f, HistorySize = 10, MaximumNumberOfIterations = 50, EnforceNonNegativity = true, NumberOfThreads = 1,
                });
            case ("lbfgs_poisson", _):
                return ml.Regression.Trainers.LbfgsPoissonRegression(new LbfgsPoissonRegressionTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, L2Regularization = 0.5f, L1Regularization = 0.25f,
                    OptimizationTolerance = 0.00001f, HistorySize = 10, MaximumNumberOfIterations = 50, EnforceNonNegativity = true, NumberOfThreads = 1,
                });
            case ("averaged_perceptron", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.AveragedPerceptron(AveragedPerceptron(label));
            case ("averaged_perceptron", _):
                return ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.AveragedPerceptron(AveragedPerceptron(label)), labelColumnName: label);
            case ("linear_svm", TrainingTask.BinaryClassification):
                return ml.BinaryClassification.Trainers.LinearSvm(LinearSvm(label));
            case ("linear_svm", _):
                return ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.LinearSvm(LinearSvm(label)), labelColumnName: label);
            case ("online_gradient_descent", _):
                return ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, LearningRate = 0.05f, DecreaseLearningRate = false,
                    L2Regularization = 0.001f, NumberOfIterations = 5,
                });
            case ("kmeans", _):
                return ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
                {
                    FeatureColumnName = Features, NumberOfClusters = 3, MaximumNumberOfIterations = 50, OptimizationTolerance = 0.00001f, NumberOfThreads = 1,
                });
            default:
                throw new ArgumentOutOfRangeException(nameof(trainer), trainer, null);
        }
    }

    private static FastTreeBinaryTrainer.Options FastTreeBinary(string label, int seed) => new()
    {
        LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
        LearningRate = 0.3, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
    };

    private static AveragedPerceptronTrainer.Options AveragedPerceptron(string label) => new()
    {
        LabelColumnName = label, FeatureColumnName = Features, LearningRate = 0.5f, DecreaseLearningRate = true, L2Regularization = 0.001f, NumberOfIterations = 5,
    };

    private static LinearSvmTrainer.Options LinearSvm(string label) => new()
    {
        LabelColumnName = label, FeatureColumnName = Features, Lambda = 0.01f, NumberOfIterations = 5, BatchSize = 2, PerformProjection = true,
    };
}

internal sealed class TextValue
{
    public string Value { get; set; } = "";
}

internal sealed class RowNumberValue
{
    [ColumnName("row_number")]
    public float Row { get; set; }
}
