using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Pipeline;

namespace Platform.Training.Evaluation;

/// <summary>What scoring one set of evaluated rows gave: the task's metrics and, for classification, the confusion counts.</summary>
/// <param name="Confusion"><c>[actual][predicted]</c> in class order (binary: negative, positive); null for regression and clustering.</param>
internal sealed record FoldScore(SortedDictionary<string, double> Metrics, long[][]? Confusion);

/// <summary>Turns ML.NET's evaluation of scored rows into the platform's metric names, and folds them into a report.</summary>
internal static class ModelEvaluation
{
    public static FoldScore Evaluate(MLContext ml, IDataView scored, TrainingTask task, LabelColumn? label, bool calibrated)
    {
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        long[][]? confusion = null;
        switch (task)
        {
            case TrainingTask.BinaryClassification:
                var binary = calibrated
                    ? ml.BinaryClassification.Evaluate(scored, label!.TrainingColumn)
                    : ml.BinaryClassification.EvaluateNonCalibrated(scored, label!.TrainingColumn);
                metrics[MetricNames.Accuracy] = binary.Accuracy;
                metrics[MetricNames.Auc] = binary.AreaUnderRocCurve;
                metrics[MetricNames.PrAuc] = binary.AreaUnderPrecisionRecallCurve;
                metrics[MetricNames.F1] = binary.F1Score;
                metrics[MetricNames.Precision] = binary.PositivePrecision;
                metrics[MetricNames.Recall] = binary.PositiveRecall;
                if (binary is CalibratedBinaryClassificationMetrics withProbabilities)
                    metrics[MetricNames.LogLoss] = withProbabilities.LogLoss;
                // ML.NET orders a binary matrix positive first; the platform orders classes negative first.
                var counts = binary.ConfusionMatrix.Counts;
                confusion = [[(long)counts[1][1], (long)counts[1][0]], [(long)counts[0][1], (long)counts[0][0]]];
                AddAverages(metrics, confusion);
                break;
            case TrainingTask.MulticlassClassification:
                var multiclass = ml.MulticlassClassification.Evaluate(scored, label!.TrainingColumn);
                metrics[MetricNames.Accuracy] = multiclass.MicroAccuracy;
                metrics[MetricNames.MacroAccuracy] = multiclass.MacroAccuracy;
                metrics[MetricNames.LogLoss] = multiclass.LogLoss;
                confusion = [.. multiclass.ConfusionMatrix.Counts.Select(row => row.Select(count => (long)count).ToArray())];
                AddAverages(metrics, confusion);
                break;
            case TrainingTask.Regression:
                var regression = ml.Regression.Evaluate(scored, label!.TrainingColumn);
                metrics[MetricNames.Rmse] = regression.RootMeanSquaredError;
                metrics[MetricNames.Mae] = regression.MeanAbsoluteError;
                metrics[MetricNames.R2] = regression.RSquared;
                break;
            default:
                var clustering = ml.Clustering.Evaluate(scored, labelColumnName: label?.TrainingColumn, featureColumnName: ReservedColumns.Features);
                metrics[MetricNames.AverageDistance] = clustering.AverageDistance;
                metrics[MetricNames.DaviesBouldin] = clustering.DaviesBouldinIndex;
                if (label is not null)
                    metrics[MetricNames.NormalizedMutualInformation] = clustering.NormalizedMutualInformation;
                break;
        }
        return new FoldScore(metrics, confusion);
    }

    /// <summary>Macro and micro precision, recall and F1 from confusion counts.</summary>
    private static void AddAverages(SortedDictionary<string, double> metrics, long[][] confusion)
    {
        var classes = PerClass(confusion).Select(c => c.Figures).ToArray();
        metrics[MetricNames.MacroPrecision] = Mean(classes.Select(c => c.Precision));
        metrics[MetricNames.MacroRecall] = Mean(classes.Select(c => c.Recall));
        metrics[MetricNames.MacroF1] = Mean(classes.Select(c => c.F1));
        long correct = 0, total = 0;
        for (var c = 0; c < confusion.Length; c++)
        {
            correct += confusion[c][c];
            total += confusion[c].Sum();
        }
        // Each row has one true and one predicted class, so pooled precision, recall and F1 coincide.
        var micro = total == 0 ? 0 : (double)correct / total;
        metrics[MetricNames.MicroPrecision] = micro;
        metrics[MetricNames.MicroRecall] = micro;
        metrics[MetricNames.MicroF1] = micro;
    }

    /// <summary>
    /// Precision, recall and F1 of each class that occurs as truth or as prediction (scikit-learn's
    /// convention for averages); a precision or recall with nothing to divide by counts as 0.
    /// </summary>
    internal static IEnumerable<(int Class, long Support, (double Precision, double Recall, double F1) Figures)> PerClass(long[][] confusion)
    {
        var n = confusion.Length;
        for (var c = 0; c < n; c++)
        {
            double truePositives = confusion[c][c], actual = 0, predicted = 0;
            for (var other = 0; other < n; other++)
            {
                actual += confusion[c][other];
                predicted += confusion[other][c];
            }
            if (actual == 0 && predicted == 0) continue;
            var precision = predicted == 0 ? 0 : truePositives / predicted;
            var recall = actual == 0 ? 0 : truePositives / actual;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            yield return (c, (long)actual, (precision, recall, f1));
        }
    }

    /// <summary>Builds the report of a holdout (one score) or a cross-validation (one score per fold).</summary>
    public static EvaluationReport Report(
        EvaluationMethod method, int folds, double holdoutFraction, bool stratified, IReadOnlyList<FoldScore> scores,
        IReadOnlyList<(long Training, long Evaluated)> rows, IReadOnlyList<string> classes,
        string? importanceMetric, IReadOnlyList<FeatureImportance> importance)
    {
        SortedDictionary<string, double> metrics;
        var deviations = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var foldResults = new List<FoldEvaluation>();
        if (method == EvaluationMethod.Holdout)
        {
            metrics = scores[0].Metrics;
        }
        else
        {
            metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var name in scores[0].Metrics.Keys)
            {
                var values = scores.Select(s => s.Metrics[name]).ToArray();
                metrics[name] = Mean(values);
                deviations[name] = StandardDeviation(values);
            }
            for (var i = 0; i < scores.Count; i++)
                foldResults.Add(new FoldEvaluation(i + 1, rows[i].Training, rows[i].Evaluated, scores[i].Metrics));
        }

        ConfusionMatrix? matrix = null;
        var perClass = new List<ClassEvaluation>();
        if (scores[0].Confusion is { } first)
        {
            var n = first.Length;
            var pooled = Enumerable.Range(0, n).Select(_ => new long[n]).ToArray();
            foreach (var score in scores)
                for (var a = 0; a < n; a++)
                    for (var p = 0; p < n; p++)
                        pooled[a][p] += score.Confusion![a][p];
            matrix = new ConfusionMatrix(classes, pooled);
            perClass.AddRange(PerClass(pooled).Select(c =>
                new ClassEvaluation(classes[c.Class], c.Support, c.Figures.Precision, c.Figures.Recall, c.Figures.F1)));
        }

        return new EvaluationReport
        {
            Method = method,
            Folds = folds,
            HoldoutFraction = holdoutFraction,
            Stratified = stratified,
            Metrics = metrics,
            StandardDeviations = deviations,
            FoldResults = foldResults,
            Classes = perClass,
            ConfusionMatrix = matrix,
            ImportanceMetric = importanceMetric,
            FeatureImportance = importance,
        };
    }

    // Summed in order, so equal inputs give bit-identical results.
    internal static double Mean(IEnumerable<double> values)
    {
        double sum = 0;
        var count = 0;
        foreach (var value in values)
        {
            sum += value;
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    internal static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = Mean(values);
        double squares = 0;
        foreach (var value in values) squares += (value - mean) * (value - mean);
        return Math.Sqrt(squares / (values.Count - 1));
    }
}
