namespace Platform.Training.ModelCards;

/// <summary>A point of a curve.</summary>
internal readonly record struct CurvePoint(double X, double Y);

/// <summary>
/// ROC and precision-recall curves of a binary model from the evaluated rows' scores: one point per distinct
/// score, from the highest threshold down, so tied rows move the curve together (as AUC counts them).
/// </summary>
internal static class RankingCurves
{
    /// <summary>False-positive rate (x) against true-positive rate (y), from (0, 0) to (1, 1).</summary>
    public static IReadOnlyList<CurvePoint> Roc(IReadOnlyList<bool> positive, IReadOnlyList<double> scores)
    {
        var (positives, negatives) = Totals(positive);
        var points = new List<CurvePoint> { new(0, 0) };
        foreach (var (tp, fp) in Thresholds(positive, scores))
            points.Add(new(negatives == 0 ? 0 : (double)fp / negatives, positives == 0 ? 0 : (double)tp / positives));
        return points;
    }

    /// <summary>Recall (x) against precision (y), from the highest threshold to the lowest.</summary>
    public static IReadOnlyList<CurvePoint> PrecisionRecall(IReadOnlyList<bool> positive, IReadOnlyList<double> scores)
    {
        var (positives, _) = Totals(positive);
        var points = new List<CurvePoint>();
        foreach (var (tp, fp) in Thresholds(positive, scores))
        {
            var precision = (double)tp / (tp + fp);
            var recall = positives == 0 ? 0 : (double)tp / positives;
            if (points.Count == 0) points.Add(new(0, precision)); // the curve starts at recall 0
            points.Add(new(recall, precision));
        }
        return points;
    }

    /// <summary>Share of positive rows: a classifier without skill has this precision everywhere.</summary>
    public static double PositiveShare(IReadOnlyList<bool> positive) => positive.Count == 0 ? 0 : (double)positive.Count(p => p) / positive.Count;

    private static (long Positives, long Negatives) Totals(IReadOnlyList<bool> positive)
    {
        long positives = positive.Count(p => p);
        return (positives, positive.Count - positives);
    }

    /// <summary>True and false positives when every row scoring at least each distinct score is called positive.</summary>
    private static IEnumerable<(long TruePositives, long FalsePositives)> Thresholds(IReadOnlyList<bool> positive, IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).Where(i => !double.IsNaN(scores[i]))
            .OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        long tp = 0, fp = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (positive[order[i]]) tp++; else fp++;
            if (i + 1 < order.Length && scores[order[i + 1]] == scores[order[i]]) continue;
            yield return (tp, fp);
        }
    }
}
