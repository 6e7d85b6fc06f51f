using System.Globalization;
using Platform.Serving.V1;
using ScottPlot;

namespace Platform.Serving.Monitoring;

/// <summary>
/// Feature drift over time as a PNG, drawn with ScottPlot as the model card's pictures are (ModelCardCharts): PSI of
/// each feature, and of the prediction (dashed), per window, with the two thresholds as horizontal lines. Windows
/// without a PSI (no rows) leave a gap.
/// </summary>
internal static class DriftChart
{
    private const int Width = 800;
    private const int Height = 480;

    public static byte[] Draw(ModelMonitoring monitoring)
    {
        ArgumentNullException.ThrowIfNull(monitoring);
        var plot = new Plot();
        plot.Title($"Drift of {monitoring.ModelName}:{monitoring.Version} (PSI per window)");
        plot.XLabel("Window end (UTC)");
        plot.YLabel("PSI against the training data");
        var x = monitoring.Windows.Select(w => w.End.ToDateTime().ToOADate()).ToArray();
        var columns = monitoring.Windows.SelectMany(w => w.Features.Select(f => f.Column)).Distinct(StringComparer.Ordinal).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < columns.Count; i++)
            Series(plot, x, [.. monitoring.Windows.Select(w => w.Features.FirstOrDefault(f => f.Column == columns[i]))], columns[i], palette.GetColor(i), dashed: false);
        if (monitoring.Windows.Any(w => w.Prediction is not null))
            Series(plot, x, [.. monitoring.Windows.Select(w => w.Prediction)], "prediction", Colors.Black, dashed: true);
        foreach (var (threshold, name) in new[] { (monitoring.Thresholds.PsiModerate, "moderate"), (monitoring.Thresholds.PsiSignificant, "significant") })
        {
            var line = plot.Add.HorizontalLine(threshold);
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dotted;
            line.Text = string.Create(CultureInfo.InvariantCulture, $"{name} {threshold:0.##}");
        }
        plot.Axes.DateTimeTicksBottom();
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static void Series(Plot plot, double[] x, FeatureDrift?[] drift, string label, ScottPlot.Color color, bool dashed)
    {
        var y = drift.Select(d => d is { HasPsi: true } ? d.Psi : double.NaN).ToArray();
        var line = plot.Add.ScatterLine(x, y, color);
        line.LegendText = label;
        line.LineWidth = 2;
        line.MarkerSize = 5;
        if (dashed) line.LinePattern = LinePattern.Dashed;
    }
}
