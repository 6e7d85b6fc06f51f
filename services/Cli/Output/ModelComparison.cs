using Platform.Models.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// <c>models compare</c>: the store's comparison (ModelService.CompareModelVersions) printed one column per version:
/// what produced them (task, trainer, data set, label, seed, evaluation method, preparation, every hyperparameter),
/// then their metrics with the better value the store marked, then each one's confusion matrix.
/// </summary>
public static class ModelComparison
{
    /// <summary>The mark after the better value of a metric.</summary>
    public const string Better = " *";

    public static void Print(Terminal terminal, ModelVersionComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(comparison);
        var versions = comparison.Versions;
        var header = versions.Select(v => $"{v.Version.ModelName} v{v.Version.Version}").ToArray();

        var details = Tables.Create(["", .. header]);
        Row(details, "Task", versions, v => v.Version.Task);
        Row(details, "Trainer", versions, v => v.Version.Trainer);
        Row(details, "Data set", versions, v => v.Version.DatasetId.Length == 0 ? "" : $"{v.Version.DatasetId}\nSHA-256 {v.Version.DatasetSha256[..Math.Min(12, v.Version.DatasetSha256.Length)]}…");
        Row(details, "Label", versions, v => v.Version.LabelColumn);
        Row(details, "Seed", versions, v => v.Version.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row(details, "Evaluation", versions, v => EvaluationMethod(v.Evaluation));
        Row(details, "Preparation", versions, v => string.Join("\n", v.Version.PreparationSteps.Select(Describe)));
        foreach (var name in versions.SelectMany(v => v.Version.Hyperparameters.Keys).Distinct().Order(StringComparer.Ordinal))
            Row(details, name, versions, v => v.Version.Hyperparameters.GetValueOrDefault(name, ""));
        terminal.Out.Write(details);

        // The task's figures; per-class ones (f1[spam]) are shown by `models show`.
        var metrics = Tables.Create(["Metric", .. header]);
        foreach (var metric in comparison.Metrics.Where(m => !m.Metric.Contains('[', StringComparison.Ordinal)))
            metrics.Row([metric.Metric, .. metric.Values.Select(Cell)]);
        terminal.Out.Write(metrics);
        var lower = comparison.Metrics.Where(m => m.Direction == MetricDirection.LowerIsBetter && !m.Metric.Contains('[', StringComparison.Ordinal))
            .Select(m => m.Metric).ToArray();
        terminal.Out.WriteLine($"{Better.Trim()} the better value ({(lower.Length == 0 ? "" : $"lower for {string.Join(", ", lower)}; ")}higher for the rest); ± the standard deviation over the folds");

        for (var i = 0; i < versions.Count; i++)
            if (versions[i].ConfusionMatrix is { } matrix)
                ModelEvaluationReport.PrintConfusionMatrix(terminal, matrix.Classes, matrix.Counts, $"Confusion matrix of {header[i]} (rows: actual class, columns: predicted class)");
    }

    private static string Cell(ComparedMetricValue value) => !value.HasValue ? ""
        : Formats.Metric(value.Value) + (value.HasStandardDeviation ? $" ± {Formats.Metric(value.StandardDeviation)}" : "") + (value.Better ? Better : "");

    private static void Row(Table table, string label, IEnumerable<ComparedModelVersion> versions, Func<ComparedModelVersion, string> cell) =>
        table.Row([label, .. versions.Select(cell)]);

    private static string EvaluationMethod(ComparedEvaluationMethod? evaluation)
    {
        if (evaluation is null) return "not recorded";
        var stratified = evaluation.Stratified ? ", stratified" : "";
        return evaluation.Method == "cross_validation"
            ? $"{evaluation.Folds}-fold cross-validation{stratified}"
            : $"holdout of {Formats.Percent(evaluation.HoldoutFraction)}{stratified}";
    }

    /// <summary>One preparation step on a line: its kind, columns and parameters.</summary>
    public static string Describe(PreparationStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var columns = step.Columns.Count == 0 ? "" : " " + string.Join(", ", step.Columns);
        var parameters = step.Parameters.Count == 0 ? ""
            : $" ({string.Join(", ", step.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))})";
        return step.Kind + columns + parameters;
    }
}
