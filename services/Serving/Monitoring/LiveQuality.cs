namespace Platform.Serving.Monitoring;

/// <summary>
/// How well a version did on the rows whose true outcome was reported: accuracy and macro-F1 for classification,
/// RMSE and R² for regression, computed as at training time (<c>Platform.Training.MetricNames</c>) so the two can be read
/// side by side. NaN where the figure does not apply.
/// </summary>
/// <param name="Outcomes">Predicted rows with a reported outcome.</param>
public sealed record LiveQuality(long Outcomes, double Accuracy, double MacroF1, double Rmse, double R2)
{
    /// <summary>No outcomes.</summary>
    public static LiveQuality None { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>Accuracy and macro-F1 (the unweighted mean of per-class F1, over every class seen as truth or prediction).</summary>
    public static LiveQuality OfClasses(IReadOnlyList<(string Predicted, string Actual)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) return None;
        var classes = rows.Select(r => r.Predicted).Concat(rows.Select(r => r.Actual)).Distinct(StringComparer.Ordinal);
        var f1s = new List<double>();
        foreach (var c in classes)
        {
            long truePositives = 0, predicted = 0, actual = 0;
            foreach (var (p, a) in rows)
            {
                var isP = string.Equals(p, c, StringComparison.Ordinal);
                var isA = string.Equals(a, c, StringComparison.Ordinal);
                if (isP) predicted++;
                if (isA) actual++;
                if (isP && isA) truePositives++;
            }
            // F1 = 2TP / (2TP + FP + FN) = 2TP / (predicted + actual); a class seen on either side has a non-zero sum.
            f1s.Add(2.0 * truePositives / (predicted + actual));
        }
        var correct = rows.Count(r => string.Equals(r.Predicted, r.Actual, StringComparison.Ordinal));
        return new LiveQuality(rows.Count, correct / (double)rows.Count, f1s.Average(), double.NaN, double.NaN);
    }

    /// <summary>RMSE and R² (1 − SSres / SStot; NaN when every true value is the same).</summary>
    public static LiveQuality OfValues(IReadOnlyList<(double Predicted, double Actual)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) return None;
        var mean = rows.Average(r => r.Actual);
        double residual = 0, total = 0;
        foreach (var (p, a) in rows)
        {
            residual += (a - p) * (a - p);
            total += (a - mean) * (a - mean);
        }
        return new LiveQuality(rows.Count, double.NaN, double.NaN, Math.Sqrt(residual / rows.Count), total > 0 ? 1 - residual / total : double.NaN);
    }
}
