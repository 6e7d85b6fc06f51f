using Microsoft.ML;

namespace Platform.Training.Pipeline;

/// <summary>Metrics of a scored holdout split, by task, under the names of <see cref="MetricNames"/>.</summary>
internal static class ModelEvaluation
{
    public static IReadOnlyDictionary<string, double> Evaluate(
        MLContext ml, IDataView scored, TrainingTask task, LabelColumn label, bool calibrated)
    {
        var column = label.TrainingColumn;
        switch (task)
        {
            case TrainingTask.BinaryClassification when !calibrated:
                var uncalibrated = ml.BinaryClassification.EvaluateNonCalibrated(scored, column);
                return new Dictionary<string, double>
                {
                    [MetricNames.Accuracy] = uncalibrated.Accuracy,
                    [MetricNames.Auc] = uncalibrated.AreaUnderRocCurve,
                    [MetricNames.F1] = uncalibrated.F1Score,
                    [MetricNames.Precision] = uncalibrated.PositivePrecision,
                    [MetricNames.Recall] = uncalibrated.PositiveRecall,
                };
            case TrainingTask.BinaryClassification:
                var binary = ml.BinaryClassification.Evaluate(scored, column);
                return new Dictionary<string, double>
                {
                    [MetricNames.Accuracy] = binary.Accuracy,
                    [MetricNames.Auc] = binary.AreaUnderRocCurve,
                    [MetricNames.F1] = binary.F1Score,
                    [MetricNames.Precision] = binary.PositivePrecision,
                    [MetricNames.Recall] = binary.PositiveRecall,
                    [MetricNames.LogLoss] = binary.LogLoss,
                };
            case TrainingTask.MulticlassClassification:
                var multiclass = ml.MulticlassClassification.Evaluate(scored, column);
                var precision = multiclass.ConfusionMatrix.PerClassPrecision;
                var recall = multiclass.ConfusionMatrix.PerClassRecall;
                var f1 = precision.Zip(recall, (p, r) => p + r == 0 ? 0 : 2 * p * r / (p + r)).ToArray();
                return new Dictionary<string, double>
                {
                    [MetricNames.Accuracy] = multiclass.MicroAccuracy,
                    [MetricNames.MacroAccuracy] = multiclass.MacroAccuracy,
                    [MetricNames.LogLoss] = multiclass.LogLoss,
                    [MetricNames.MacroPrecision] = Mean(precision),
                    [MetricNames.MacroRecall] = Mean(recall),
                    [MetricNames.MacroF1] = Mean(f1),
                };
            default:
                var regression = ml.Regression.Evaluate(scored, column);
                return new Dictionary<string, double>
                {
                    [MetricNames.Rmse] = regression.RootMeanSquaredError,
                    [MetricNames.Mae] = regression.MeanAbsoluteError,
                    [MetricNames.R2] = regression.RSquared,
                };
        }
    }

    // Summed in class order so that equal inputs give bit-identical means.
    private static double Mean(IReadOnlyList<double> values)
    {
        double sum = 0;
        foreach (var value in values) sum += value;
        return sum / values.Count;
    }
}
