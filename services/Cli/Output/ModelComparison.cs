using System.Text.Json;
using Platform.Models.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// <c>models compare</c>: versions side by side, one column each: what produced them (task, trainer, data set, label,
/// seed, evaluation method, preparation, every hyperparameter), then their metrics with the better value marked, then
/// each one's confusion matrix.
/// </summary>
public static class ModelComparison
{
    /// <summary>Metrics where a smaller value is better (docs/training.md lists what each measures); every other metric is better larger.</summary>
    private static readonly HashSet<string> LowerIsBetter = new(StringComparer.Ordinal) { "log_loss", "rmse", "mae", "average_distance", "davies_bouldin" };

    /// <summary>The mark after the better value of a metric.</summary>
    public const string Better = " *";

    public static void Print(Terminal terminal, IReadOnlyList<(ModelVersion Version, JsonDocument? Evaluation)> versions)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(versions);
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

        // The task's figures; per-class ones (f1[spam]) and fold deviations (accuracy_std) are shown with their metric or by `models show`.
        var metrics = Tables.Create(["Metric", .. header]);
        foreach (var name in versions.SelectMany(v => v.Version.Metrics.Keys).Where(IsHeadline).Distinct().Order(StringComparer.Ordinal))
        {
            var values = versions.Select(v => v.Version.Metrics.TryGetValue(name, out var value) ? value : (double?)null).ToArray();
            var best = BestOf(name, values);
            metrics.Row([name, .. values.Select((value, i) => value is not { } number ? "" :
                Formats.Metric(number) + Deviation(versions[i].Version, name) + (best.Contains(i) ? Better : ""))]);
        }
        terminal.Out.Write(metrics);
        terminal.Out.WriteLine($"{Better.Trim()} the better value (lower for {string.Join(", ", LowerIsBetter.Order(StringComparer.Ordinal))}; higher for the rest); ± the standard deviation over the folds");

        for (var i = 0; i < versions.Count; i++)
            if (versions[i].Evaluation?.RootElement.TryGetProperty("confusion_matrix", out var matrix) == true)
                ModelEvaluationReport.PrintConfusionMatrix(terminal, matrix, $"Confusion matrix of {header[i]} (rows: actual class, columns: predicted class)");
    }

    private static void Row(Table table, string label, IReadOnlyList<(ModelVersion Version, JsonDocument? Evaluation)> versions,
        Func<(ModelVersion Version, JsonDocument? Evaluation), string> cell) =>
        table.Row([label, .. versions.Select(cell)]);

    private static bool IsHeadline(string metric) => !metric.Contains('[', StringComparison.Ordinal) && !metric.EndsWith("_std", StringComparison.Ordinal);

    private static string Deviation(ModelVersion version, string metric) =>
        version.Metrics.TryGetValue(metric + "_std", out var deviation) ? $" ± {Formats.Metric(deviation)}" : "";

    /// <summary>The indexes holding the better value; none when fewer than two versions have one or they all tie.</summary>
    private static HashSet<int> BestOf(string metric, double?[] values)
    {
        var present = values.Select((v, i) => (Value: v, Index: i)).Where(p => p.Value is { } x && double.IsFinite(x)).ToArray();
        if (present.Length < 2 || present.All(p => p.Value == present[0].Value)) return [];
        var best = LowerIsBetter.Contains(metric) ? present.Min(p => p.Value) : present.Max(p => p.Value);
        return [.. present.Where(p => p.Value == best).Select(p => p.Index)];
    }

    private static string EvaluationMethod(JsonDocument? evaluation)
    {
        if (evaluation is null || !evaluation.RootElement.TryGetProperty("evaluation", out var method)) return "not recorded";
        var stratified = method.TryGetProperty("stratified", out var s) && s.ValueKind == JsonValueKind.True ? ", stratified" : "";
        return method.GetProperty("method").GetString() == "cross_validation"
            ? $"{method.GetProperty("folds").GetInt32()}-fold cross-validation{stratified}"
            : $"holdout of {Formats.Percent(method.GetProperty("holdout_fraction").GetDouble())}{stratified}";
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
