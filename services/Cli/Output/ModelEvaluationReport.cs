using System.Globalization;
using System.Text.Json;
using Platform.Models.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// <c>models show</c>: a version's details and its evaluation as the worker recorded it in <c>evaluation.json</c>
/// (docs/training.md): the metrics (for a cross-validation, mean ± standard deviation over the folds), the
/// per-class precision, recall and F1, and the confusion matrix. A version without that artifact (an upload)
/// shows its flat metrics.
/// </summary>
public static class ModelEvaluationReport
{
    public static void Print(Terminal terminal, ModelVersion version, JsonDocument? evaluation)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(version);
        terminal.Out.Write(Tables.Details(
        [
            ("Model", $"{version.ModelName} version {version.Version}"),
            ("Aliases", string.Join(", ", version.Aliases)),
            ("Task", version.Task),
            ("Trainer", version.Trainer),
            ("Parameters", string.Join(", ", version.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))),
            ("Seed", version.Seed),
            ("Label", version.LabelColumn),
            ("Data set", string.IsNullOrEmpty(version.DatasetId) ? "" : $"{version.DatasetId} (SHA-256 {version.DatasetSha256})"),
            ("Job", string.IsNullOrEmpty(version.JobId) ? "" : $"{version.JobId}, attempt {version.Attempt}"),
            ("Approval", version.Approval?.Status.ToString() ?? ""),
            ("Created", Formats.Time(version.CreatedAt)),
        ]));
        if (evaluation is null)
        {
            var flat = Tables.Create("Metric", "Value");
            foreach (var metric in version.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)) flat.Row(metric.Key, Formats.Metric(metric.Value));
            terminal.Out.Write(flat);
            terminal.Out.WriteLine("No evaluation.json artifact: per-class figures and the confusion matrix are not known for this version.");
            return;
        }

        var root = evaluation.RootElement;
        var method = root.GetProperty("evaluation");
        var crossValidated = method.GetProperty("method").GetString() == "cross_validation";
        terminal.Out.WriteLine(crossValidated
            ? $"Evaluation: {method.GetProperty("folds").GetInt32()}-fold cross-validation (mean ± standard deviation over the folds)"
            : $"Evaluation: holdout of {Formats.Percent(Number(method.GetProperty("holdout_fraction")))} of the rows");
        var metrics = crossValidated ? Tables.Create("Metric", "Mean", "± Std") : Tables.Create("Metric", "Value");
        var deviations = root.TryGetProperty("standard_deviations", out var sd) ? sd : default;
        foreach (var metric in root.GetProperty("metrics").EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            if (crossValidated)
                metrics.Row(metric.Name, Formats.Metric(Number(metric.Value)),
                    deviations.ValueKind == JsonValueKind.Object && deviations.TryGetProperty(metric.Name, out var deviation) ? Formats.Metric(Number(deviation)) : "");
            else
                metrics.Row(metric.Name, Formats.Metric(Number(metric.Value)));
        }
        terminal.Out.Write(metrics);

        if (root.TryGetProperty("classes", out var classes) && classes.GetArrayLength() > 0)
        {
            var perClass = Tables.Create("Class", "Support", "Precision", "Recall", "F1");
            foreach (var c in classes.EnumerateArray())
                perClass.Row(c.GetProperty("class").GetString(), c.GetProperty("support").GetInt64(),
                    Formats.Metric(Number(c.GetProperty("precision"))), Formats.Metric(Number(c.GetProperty("recall"))), Formats.Metric(Number(c.GetProperty("f1"))));
            terminal.Out.Write(perClass);
        }

        if (root.TryGetProperty("confusion_matrix", out var matrix))
            PrintConfusionMatrix(terminal, matrix, "Confusion matrix (rows: actual class, columns: predicted class)");
    }

    /// <summary>An evaluation.json confusion matrix under <paramref name="title"/>.</summary>
    public static void PrintConfusionMatrix(Terminal terminal, JsonElement matrix, string title) =>
        PrintConfusionMatrix(terminal,
            [.. matrix.GetProperty("classes").EnumerateArray().Select(c => c.GetString() ?? "")],
            [.. matrix.GetProperty("counts").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(c => c.GetInt64()))],
            title);

    /// <summary>A confusion matrix (row-major counts, rows the actual class) under <paramref name="title"/>.</summary>
    public static void PrintConfusionMatrix(Terminal terminal, IReadOnlyList<string> classes, IReadOnlyList<long> counts, string title)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(counts);
        var table = Tables.Create(["Actual \\ predicted", .. classes]);
        for (var row = 0; row < classes.Count; row++)
            table.Row([classes[row], .. counts.Skip(row * classes.Count).Take(classes.Count).Select(c => (object)c)]);
        terminal.Out.WriteLine(title);
        terminal.Out.Write(table);
    }

    /// <summary>evaluation.json writes NaN and infinities as strings.</summary>
    private static double Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : value.GetDouble();
}
