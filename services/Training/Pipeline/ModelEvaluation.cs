using Microsoft.ML;
using Microsoft.ML.Data;

namespace Platform.Training.Pipeline;

/// <summary>Turns ML.NET's evaluation of the holdout rows into the platform's flat metric names.</summary>
internal static class ModelEvaluation
{
    public static SortedDictionary<string, double> Evaluate(MLContext ml, IDataView scored, TrainingTask task, LabelColumn label, bool calibrated)
    {
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        switch (task)
        {
            case TrainingTask.BinaryClassification:
                var binary = calibrated
                    ? ml.BinaryClassification.Evaluate(scored, label.TrainingColumn)
                    : ml.BinaryClassification.EvaluateNonCalibrated(scored, label.TrainingColumn);
                metrics[MetricNames.Accuracy] = binary.Accuracy;
                metrics[MetricNames.Auc] = binary.AreaUnderRocCurve;
                metrics[MetricNames.F1] = binary.F1Score;
                metrics[MetricNames.Precision] = binary.PositivePrecision;
                metrics[MetricNames.Recall] = binary.PositiveRecall;
                if (binary is CalibratedBinaryClassificationMetrics withProbabilities)
                    metrics[MetricNames.LogLoss] = withProbabilities.LogLoss;
                break;
            case TrainingTask.MulticlassClassification:
                var multiclass = ml.MulticlassClassification.Evaluate(scored, label.TrainingColumn);
                metrics[MetricNames.Accuracy] = multiclass.MicroAccuracy;
                metrics[MetricNames.MacroAccuracy] = multiclass.MacroAccuracy;
                metrics[MetricNames.LogLoss] = multiclass.LogLoss;
                var (precision, recall, f1) = MacroAverages(multiclass.ConfusionMatrix);
                metrics[MetricNames.MacroPrecision] = precision;
                metrics[MetricNames.MacroRecall] = recall;
                metrics[MetricNames.MacroF1] = f1;
                break;
            default:
                var regression = ml.Regression.Evaluate(scored, label.TrainingColumn);
                metrics[MetricNames.Rmse] = regression.RootMeanSquaredError;
                metrics[MetricNames.Mae] = regression.MeanAbsoluteError;
                metrics[MetricNames.R2] = regression.RSquared;
                break;
        }
        return metrics;
    }

    /// <summary>
    /// Unweighted means over the classes that occur in the holdout rows as truth or as prediction
    /// (scikit-learn's convention); a precision or recall with nothing to divide by counts as 0.
    /// </summary>
    internal static (double Precision, double Recall, double F1) MacroAverages(ConfusionMatrix matrix)
    {
        var counts = matrix.Counts; // [actual][predicted]
        var n = matrix.NumberOfClasses;
        double precisionSum = 0, recallSum = 0, f1Sum = 0;
        var classes = 0;
        for (var c = 0; c < n; c++)
        {
            double truePositives = counts[c][c], actual = 0, predicted = 0;
            for (var other = 0; other < n; other++)
            {
                actual += counts[c][other];
                predicted += counts[other][c];
            }
            if (actual == 0 && predicted == 0) continue;
            var precision = predicted == 0 ? 0 : truePositives / predicted;
            var recall = actual == 0 ? 0 : truePositives / actual;
            precisionSum += precision;
            recallSum += recall;
            f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            classes++;
        }
        return classes == 0 ? (0, 0, 0) : (precisionSum / classes, recallSum / classes, f1Sum / classes);
    }
}
