using ScottPlot;

namespace Platform.Training.ModelCards;

/// <summary>
/// The card's pictures, drawn with ScottPlot (SkiaSharp underneath, headless) as PNG. Fixed sizes, colours and
/// inputs in a fixed order, so the same evaluation draws the same bytes on the same platform build.
/// </summary>
internal static class ModelCardCharts
{
    private const int Width = 640;
    private const int Height = 480;

    /// <summary>Counts of evaluated rows by actual (rows, top to bottom) and predicted class (columns), shaded by row share.</summary>
    public static byte[] ConfusionMatrix(IReadOnlyList<string> classes, IReadOnlyList<IReadOnlyList<long>> counts)
    {
        var plot = NewPlot("Confusion matrix", "Predicted class", "Actual class");
        var n = classes.Count;
        for (var actual = 0; actual < n; actual++)
        {
            var rowTotal = counts[actual].Sum();
            for (var predicted = 0; predicted < n; predicted++)
            {
                var count = counts[actual][predicted];
                var share = rowTotal == 0 ? 0 : (double)count / rowTotal;
                var y = n - 1 - actual; // first class on top
                var cell = plot.Add.Rectangle(predicted - 0.5, predicted + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = Colors.SteelBlue.WithAlpha(0.1 + 0.9 * share);
                cell.LineColor = Colors.White;
                cell.LineWidth = 2;
                // The count and, beside it, the share of the actual class's rows (row-normalised; recall on the diagonal).
                var label = plot.Add.Text(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{count}\n{share * 100:0.#} %"), predicted, y);
                label.Alignment = Alignment.MiddleCenter;
                label.LabelFontSize = 16;
                label.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
            }
        }
        double[] positions = [.. Enumerable.Range(0, n).Select(i => (double)i)];
        plot.Axes.Bottom.SetTicks(positions, [.. classes.Select(Shorten)]);
        plot.Axes.Left.SetTicks([.. positions.Reverse()], [.. classes.Select(Shorten)]);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        return Png(plot);
    }

    public static byte[] Roc(IReadOnlyList<CurvePoint> curve, double auc)
    {
        var plot = NewPlot($"ROC curve (AUC {Format(auc)})", "False-positive rate", "True-positive rate");
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        Curve(plot, curve);
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        return Png(plot);
    }

    public static byte[] PrecisionRecall(IReadOnlyList<CurvePoint> curve, double prAuc, double positiveShare)
    {
        var plot = NewPlot($"Precision-recall curve (PR-AUC {Format(prAuc)})", "Recall", "Precision");
        var chance = plot.Add.HorizontalLine(positiveShare);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        Curve(plot, curve);
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        return Png(plot);
    }

    /// <summary>At most this many points in the residual plot: more add drawing time, not information.</summary>
    public const int MaxResidualPoints = 5_000;

    /// <summary>
    /// Every how many rows the residual plot draws one: 1 up to <see cref="MaxResidualPoints"/> rows, then a fixed
    /// stride (deterministic, so the same evaluation draws the same picture).
    /// </summary>
    public static int ResidualStride(int rows) => Math.Max(1, (rows + MaxResidualPoints - 1) / MaxResidualPoints);

    /// <summary>Residual (actual − predicted) against the predicted value, with the zero line; every <see cref="ResidualStride"/>-th row.</summary>
    public static byte[] Residuals(IReadOnlyList<double> predicted, IReadOnlyList<double> actual)
    {
        var plot = NewPlot("Residuals", "Predicted value", "Actual − predicted");
        var stride = ResidualStride(predicted.Count);
        var keep = Enumerable.Range(0, (predicted.Count + stride - 1) / stride).Select(i => i * stride)
            .Where(i => double.IsFinite(predicted[i]) && double.IsFinite(actual[i])).ToArray();
        var points = plot.Add.ScatterPoints(keep.Select(i => predicted[i]).ToArray(), keep.Select(i => actual[i] - predicted[i]).ToArray(), Colors.SteelBlue.WithAlpha(0.6));
        points.MarkerSize = 4;
        var zero = plot.Add.HorizontalLine(0);
        zero.LineColor = Colors.Gray;
        zero.LinePattern = LinePattern.Dashed;
        return Png(plot);
    }

    /// <summary>Actual against predicted value, with the diagonal where they are equal; every <see cref="ResidualStride"/>-th row.</summary>
    public static byte[] ActualVersusPredicted(IReadOnlyList<double> predicted, IReadOnlyList<double> actual)
    {
        var plot = NewPlot("Actual vs predicted", "Predicted value", "Actual value");
        var stride = ResidualStride(predicted.Count);
        var keep = Enumerable.Range(0, (predicted.Count + stride - 1) / stride).Select(i => i * stride)
            .Where(i => double.IsFinite(predicted[i]) && double.IsFinite(actual[i])).ToArray();
        var points = plot.Add.ScatterPoints(keep.Select(i => predicted[i]).ToArray(), keep.Select(i => actual[i]).ToArray(), Colors.SteelBlue.WithAlpha(0.6));
        points.MarkerSize = 4;
        if (keep.Length > 0)
        {
            var low = keep.Min(i => Math.Min(predicted[i], actual[i]));
            var high = keep.Max(i => Math.Max(predicted[i], actual[i]));
            var diagonal = plot.Add.Line(low, low, high, high);
            diagonal.LineColor = Colors.Gray;
            diagonal.LinePattern = LinePattern.Dashed;
        }
        return Png(plot);
    }

    /// <summary>Bins of predicted probability for the calibration plot: ten of equal width.</summary>
    public const int CalibrationBins = 10;

    /// <summary>
    /// Per bin of predicted probability (tenths; the last includes 1): the rows in it, their mean predicted probability
    /// and the share of them that are positive. Empty bins are left out.
    /// </summary>
    public static IReadOnlyList<(int Rows, double MeanPredicted, double PositiveShare)> Calibration(IReadOnlyList<bool> positive, IReadOnlyList<double> probabilities)
    {
        var rows = new int[CalibrationBins];
        var predicted = new double[CalibrationBins];
        var positives = new int[CalibrationBins];
        for (var i = 0; i < probabilities.Count; i++)
        {
            if (!double.IsFinite(probabilities[i])) continue;
            var bin = Math.Clamp((int)(probabilities[i] * CalibrationBins), 0, CalibrationBins - 1);
            rows[bin]++;
            predicted[bin] += probabilities[i];
            if (positive[i]) positives[bin]++;
        }
        return [.. Enumerable.Range(0, CalibrationBins).Where(b => rows[b] > 0)
            .Select(b => (rows[b], predicted[b] / rows[b], (double)positives[b] / rows[b]))];
    }

    /// <summary>A reliability diagram: each bin's share of positive rows against its mean predicted probability, and the diagonal of a calibrated model.</summary>
    public static byte[] Calibration(IReadOnlyList<(int Rows, double MeanPredicted, double PositiveShare)> bins)
    {
        var plot = NewPlot("Calibration", "Mean predicted probability", "Share of positive rows");
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        var line = plot.Add.Scatter(bins.Select(b => b.MeanPredicted).ToArray(), bins.Select(b => b.PositiveShare).ToArray(), Colors.SteelBlue);
        line.LineWidth = 2;
        line.MarkerSize = 7;
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        return Png(plot);
    }

    /// <summary>Mean decrease of the importance metric per column, largest on top, with the standard deviation as error bars.</summary>
    public static byte[] FeatureImportance(IReadOnlyList<(string Column, double Mean, double StandardDeviation)> features, string metric)
    {
        var plot = NewPlot("Permutation feature importance", $"Decrease in {metric}", "");
        var n = features.Count;
        var bars = features.Select((f, i) => new Bar
        {
            Position = n - 1 - i,
            Value = f.Mean,
            Error = double.IsFinite(f.StandardDeviation) ? f.StandardDeviation : 0,
            FillColor = Colors.SteelBlue,
            Orientation = Orientation.Horizontal,
        }).ToArray();
        plot.Add.Bars(bars);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], [.. features.Select(f => Shorten(f.Column))]);
        plot.HideGrid();
        return Png(plot);
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static void Curve(Plot plot, IReadOnlyList<CurvePoint> curve)
    {
        var line = plot.Add.ScatterLine(curve.Select(p => p.X).ToArray(), curve.Select(p => p.Y).ToArray(), Colors.SteelBlue);
        line.LineWidth = 2;
    }

    private static byte[] Png(Plot plot) => plot.GetImageBytes(Width, Height, ImageFormat.Png);

    private static string Format(double value) => double.IsFinite(value) ? value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..23] + "…";
}
