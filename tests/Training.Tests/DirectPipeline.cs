using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using Platform.Training.Data;

namespace Platform.Training.Tests;

/// <summary>
/// The test oracle: what a training run must compute, written out by hand with plain ML.NET calls
/// (its own column names, its own way of dropping unlabelled rows, explicit trainer options).
/// </summary>
internal static class DirectPipeline
{
    private const string Label = "Label";
    private const string Features = "Features";

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
        "sdca" or "sdca_logistic" or "sdca_maximum_entropy" => new Dictionary<string, string>
        {
            ["l2_regularization"] = "0.01", ["l1_regularization"] = "0.001", ["maximum_number_of_iterations"] = "20", ["convergence_tolerance"] = "0.05",
        },
        "lbfgs_logistic" or "lbfgs_maximum_entropy" => new Dictionary<string, string>
        {
            ["l2_regularization"] = "0.5", ["l1_regularization"] = "0.25", ["optimization_tolerance"] = "0.00001",
            ["history_size"] = "10", ["maximum_number_of_iterations"] = "50", ["enforce_non_negativity"] = "true",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(trainer), trainer, null),
    };

    public static IReadOnlyDictionary<string, double> TrainAndEvaluate(
        CsvDataset data, TrainingTask task, string labelName, string trainer, int seed, double holdoutFraction)
    {
        var ml = new MLContext(seed);
        var loader = ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = [.. data.Columns.Select((c, i) => new TextLoader.Column(c.Name, c.Kind == ColumnKind.Numeric ? DataKind.Single : DataKind.String, i))],
            HasHeader = true,
            Separators = [','],
            AllowQuoting = true,
            ReadMultilines = true,
            MissingRealsAsNaNs = true,
        });
        var raw = loader.Load(data.Path);
        var label = data.Columns.Single(c => c.Name == labelName);
        var labelled = label.Kind == ColumnKind.Numeric ? ml.Data.FilterRowsByMissingValues(raw, labelName) : DropEmptyText(ml, raw, labelName);
        var split = ml.Data.TrainTestSplit(labelled, holdoutFraction, seed: seed);

        var features = data.Columns.Where(c => c != label).ToArray();
        var pipeline = new EstimatorChain<ITransformer>();
        var trainingLabel = Label;
        switch (task)
        {
            case TrainingTask.MulticlassClassification:
                var classes = raw.GetColumn<string>(labelName).Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal)
                    .Select(v => new TextValue { Value = v });
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapValueToKey(Label, labelName, keyData: ml.Data.LoadFromEnumerable(classes)));
                break;
            case TrainingTask.BinaryClassification when label.Kind == ColumnKind.Numeric:
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
                trainingLabel = labelName;
                break;
        }
        var numeric = features.Where(c => c.Kind == ColumnKind.Numeric).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        var categorical = features.Where(c => c.Kind != ColumnKind.Numeric).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        if (numeric.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.ReplaceMissingValues(numeric, MissingValueReplacingEstimator.ReplacementMode.Mean));
        if (categorical.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(categorical));
        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate(Features, [.. features.Select(c => c.Name)]));
        if (trainer.StartsWith("sdca", StringComparison.Ordinal) || trainer.StartsWith("lbfgs", StringComparison.Ordinal))
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax(Features));
        // The platform gives the trainer a context of its own, so its random draws depend on the seed alone.
        pipeline = pipeline.Append(Trainer(new MLContext(seed), task, trainer, trainingLabel, seed));
        if (task == TrainingTask.MulticlassClassification)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var scored = pipeline.Fit(split.TrainSet).Transform(split.TestSet);
        return Metrics(ml, scored, task, trainer, trainingLabel);
    }

    private static IDataView DropEmptyText(MLContext ml, IDataView data, string column)
    {
        var copied = ml.Transforms.CopyColumns(nameof(TextValue.Value), column).Fit(data).Transform(data);
        var kept = ml.Data.FilterByCustomPredicate<TextValue>(copied, row => row.Value.Length == 0);
        return ml.Transforms.DropColumns(nameof(TextValue.Value)).Fit(kept).Transform(kept);
    }

    private static Dictionary<string, double> Metrics(MLContext ml, IDataView scored, TrainingTask task, string trainer, string label)
    {
        switch (task)
        {
            case TrainingTask.BinaryClassification when trainer == "fast_forest":
                var uncalibrated = ml.BinaryClassification.EvaluateNonCalibrated(scored, label);
                return new()
                {
                    ["accuracy"] = uncalibrated.Accuracy, ["auc"] = uncalibrated.AreaUnderRocCurve, ["f1"] = uncalibrated.F1Score,
                    ["precision"] = uncalibrated.PositivePrecision, ["recall"] = uncalibrated.PositiveRecall,
                };
            case TrainingTask.BinaryClassification:
                var binary = ml.BinaryClassification.Evaluate(scored, label);
                return new()
                {
                    ["accuracy"] = binary.Accuracy, ["auc"] = binary.AreaUnderRocCurve, ["f1"] = binary.F1Score,
                    ["precision"] = binary.PositivePrecision, ["recall"] = binary.PositiveRecall, ["log_loss"] = binary.LogLoss,
                };
            case TrainingTask.MulticlassClassification:
                var multiclass = ml.MulticlassClassification.Evaluate(scored, label);
                var precision = multiclass.ConfusionMatrix.PerClassPrecision;
                var recall = multiclass.ConfusionMatrix.PerClassRecall;
                var f1 = precision.Zip(recall, (p, r) => p + r == 0 ? 0 : 2 * p * r / (p + r)).ToArray();
                return new()
                {
                    ["accuracy"] = multiclass.MicroAccuracy, ["macro_accuracy"] = multiclass.MacroAccuracy, ["log_loss"] = multiclass.LogLoss,
                    ["macro_precision"] = Mean(precision), ["macro_recall"] = Mean(recall), ["macro_f1"] = Mean(f1),
                };
            default:
                var regression = ml.Regression.Evaluate(scored, label);
                return new() { ["rmse"] = regression.RootMeanSquaredError, ["mae"] = regression.MeanAbsoluteError, ["r2"] = regression.RSquared };
        }
    }

    // Summed in class order, as the platform does, so equal inputs give bit-identical means.
    private static double Mean(IReadOnlyList<double> values)
    {
        double sum = 0;
        foreach (var value in values) sum += value;
        return sum / values.Count;
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
                return ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
                    LearningRate = 0.3, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
                });
            case ("fast_tree", TrainingTask.MulticlassClassification):
                return ml.MulticlassClassification.Trainers.OneVersusAll(
                    ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    LabelColumnName = label, FeatureColumnName = Features, NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5,
                    LearningRate = 0.3, Seed = seed, FeatureSelectionSeed = seed, NumberOfThreads = 1,
                }), labelColumnName: label);
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
            case ("sdca", _):
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
            default:
                throw new ArgumentOutOfRangeException(nameof(trainer), trainer, null);
        }
    }
}

internal sealed class TextValue
{
    public string Value { get; set; } = "";
}
