using System.Globalization;
using Platform.Serving.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// <c>models monitor</c>: the latest window's drift per feature and of the prediction, then every window's level, rows
/// and live quality next to the evaluation at training time.
/// </summary>
public static class MonitoringReport
{
    public static void Print(Terminal terminal, ModelMonitoring monitoring)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(monitoring);
        var thresholds = monitoring.Thresholds;
        terminal.Out.Write(Tables.Details([
            ("Model", $"{monitoring.ModelName}:{monitoring.Version} ({monitoring.Task})"),
            ("Reference", string.IsNullOrEmpty(monitoring.DatasetId) ? "none" : $"profile of data set {monitoring.DatasetId}"),
            ("Thresholds", string.Create(CultureInfo.InvariantCulture,
                $"PSI moderate ≥ {thresholds.PsiModerate:0.###}, significant ≥ {thresholds.PsiSignificant:0.###}; windows under {thresholds.MinRows} rows not judged")),
            ("At training", Formats.Metrics(monitoring.EvaluationMetrics.Where(m => QualityMetrics.Contains(m.Key)))),
        ]));
        terminal.Out.WriteLine();
        foreach (var note in monitoring.Notes) terminal.Out.WriteLine("note: " + note);

        // The latest window that has rows: what is happening now.
        var latest = monitoring.Windows.LastOrDefault(w => w.Rows > 0);
        if (latest is null)
            terminal.Out.WriteLine("No logged predictions in these windows.");
        else
        {
            terminal.Out.WriteLine($"Drift in the latest window with predictions ({Formats.Time(latest.Start)} – {Formats.Time(latest.End)}, {latest.Rows} rows):");
            var drift = Tables.Create("Column", "Kind", "Rows", "PSI", "KS (p)", "Chi² (p)", "Level");
            foreach (var feature in latest.Features.Append(latest.Prediction).OfType<FeatureDrift>())
                drift.Row(feature.Column, feature.Kind, feature.Rows, Number(feature.HasPsi, feature.Psi),
                    WithP(feature.HasKsStatistic, feature.KsStatistic, feature.KsPValue), WithP(feature.HasChiSquare, feature.ChiSquare, feature.ChiSquarePValue),
                    feature.Level);
            terminal.Out.Write(drift);
        }

        var windows = Tables.Create("Window end", "Rows", "Level", "Worst feature", "Prediction PSI", "Outcomes", "Live quality");
        foreach (var window in monitoring.Windows)
        {
            var worst = window.Features.Where(f => f.HasPsi).MaxBy(f => f.Psi);
            windows.Row(Formats.Time(window.End), window.Rows, window.Level,
                worst is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{worst.Column} {worst.Psi:0.###}"),
                window.Prediction is { HasPsi: true } p ? Number(true, p.Psi) : "", window.Quality?.Outcomes ?? 0, Quality(window.Quality));
        }
        terminal.Out.Write(windows);
    }

    private static readonly HashSet<string> QualityMetrics = new(StringComparer.Ordinal) { "accuracy", "macro_f1", "rmse", "r2" };

    private static string Quality(LiveQuality? quality)
    {
        if (quality is null || quality.Outcomes == 0) return "";
        var parts = new List<string>();
        if (quality.HasAccuracy) parts.Add("accuracy=" + Formats.Metric(quality.Accuracy));
        if (quality.HasMacroF1) parts.Add("macro_f1=" + Formats.Metric(quality.MacroF1));
        if (quality.HasRmse) parts.Add("rmse=" + Formats.Metric(quality.Rmse));
        if (quality.HasR2) parts.Add("r2=" + Formats.Metric(quality.R2));
        return string.Join(" ", parts);
    }

    private static string Number(bool has, double value) => has ? value.ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string WithP(bool has, double statistic, double p) =>
        has ? string.Create(CultureInfo.InvariantCulture, $"{statistic:0.###} ({p:0.###})") : "";
}
