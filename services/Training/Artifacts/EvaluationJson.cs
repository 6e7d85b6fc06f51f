using System.Text.Encodings.Web;
using System.Text.Json;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training.Artifacts;

/// <summary>
/// Writes <c>evaluation.json</c>: the evaluation in full and the spec that produced it, so a model version
/// carries everything needed to re-run its job and to read its figures. Properties come in a fixed order,
/// numbers in round-trip form (a non-finite number as the string <c>"NaN"</c>, <c>"Infinity"</c>), so the
/// same run gives the same bytes.
/// </summary>
internal static class EvaluationJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(
        Stream output, TrainingSpec spec, TrainingPlan plan, TrainingRowCounts rows, EvaluationReport report, IReadOnlyList<PreparationStep> steps)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("task", spec.Task.ToWireName());
        json.WriteString("label_column", spec.LabelColumn);
        json.WriteString("trainer", plan.Settings.Trainer.Name);
        json.WriteStartObject("hyperparameters");
        foreach (var (name, value) in plan.Settings.Hyperparameters.OrderBy(h => h.Key, StringComparer.Ordinal))
            json.WriteString(name, value);
        json.WriteEndObject();
        json.WriteNumber("seed", spec.Seed);
        WritePreparation(json, spec.Preparation);
        json.WriteStartObject("evaluation");
        json.WriteString("method", report.Method == EvaluationMethod.Holdout ? "holdout" : "cross_validation");
        json.WriteNumber("folds", report.Folds);
        Number(json, "holdout_fraction", report.HoldoutFraction);
        json.WriteBoolean("stratified", report.Stratified);
        json.WriteBoolean("feature_importance", spec.Evaluation.FeatureImportance);
        json.WriteNumber("permutations", spec.Evaluation.FeatureImportance ? spec.Evaluation.PermutationCount : 0);
        json.WriteEndObject();

        json.WriteStartArray("preparation_steps");
        foreach (var step in steps)
        {
            json.WriteStartObject();
            json.WriteString("kind", step.Kind);
            Strings(json, "columns", step.Columns);
            json.WriteStartObject("parameters");
            foreach (var (name, value) in step.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
                json.WriteString(name, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("rows");
        json.WriteNumber("total", rows.Total);
        json.WriteNumber("missing_label", rows.MissingLabel);
        json.WriteNumber("missing_feature", rows.MissingFeature);
        json.WriteNumber("training", rows.Training);
        json.WriteNumber("evaluated", rows.Evaluated);
        json.WriteEndObject();

        Numbers(json, "metrics", report.Metrics);
        Numbers(json, "standard_deviations", report.StandardDeviations);
        json.WriteStartArray("folds");
        foreach (var fold in report.FoldResults)
        {
            json.WriteStartObject();
            json.WriteNumber("fold", fold.Fold);
            json.WriteNumber("training_rows", fold.TrainingRows);
            json.WriteNumber("evaluated_rows", fold.EvaluatedRows);
            Numbers(json, "metrics", fold.Metrics);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("classes");
        foreach (var c in report.Classes)
        {
            json.WriteStartObject();
            json.WriteString("class", c.Class);
            json.WriteNumber("support", c.Support);
            Number(json, "precision", c.Precision);
            Number(json, "recall", c.Recall);
            Number(json, "f1", c.F1);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (report.ConfusionMatrix is { } matrix)
        {
            json.WriteStartObject("confusion_matrix");
            Strings(json, "classes", matrix.Classes);
            json.WriteStartArray("counts");
            foreach (var row in matrix.Counts)
            {
                json.WriteStartArray();
                foreach (var count in row) json.WriteNumberValue(count);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (report.ImportanceMetric is { } metric)
        {
            json.WriteStartObject("feature_importance");
            json.WriteString("metric", metric);
            json.WriteStartArray("columns");
            foreach (var importance in report.FeatureImportance)
            {
                json.WriteStartObject();
                json.WriteString("column", importance.Column);
                Number(json, "mean_decrease", importance.MeanDecrease);
                Number(json, "standard_deviation", importance.StandardDeviation);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    /// <summary>The preparation as the job gave it; choices left at their default are left out.</summary>
    private static void WritePreparation(Utf8JsonWriter json, DataPreparation preparation)
    {
        json.WriteStartObject("preparation");
        if (preparation.IncludeColumns.Count > 0) Strings(json, "include_columns", preparation.IncludeColumns);
        if (preparation.ExcludeColumns.Count > 0) Strings(json, "exclude_columns", preparation.ExcludeColumns);
        if (preparation.UseSensitiveColumns.Count > 0) Strings(json, "use_sensitive_columns", preparation.UseSensitiveColumns);
        if (preparation.MissingValues is { } missing) json.WriteString("missing_values", missing.ToWireName());
        if (preparation.CategoricalEncoding is { } encoding) json.WriteString("categorical_encoding", encoding.ToWireName());
        if (preparation.HashingThreshold is { } threshold) json.WriteNumber("hashing_threshold", threshold);
        if (preparation.HashingBits is { } bits) json.WriteNumber("hashing_bits", bits);
        if (preparation.Normalization is { } normalization) json.WriteString("normalization", normalization.ToWireName());
        if (preparation.ClassWeighting is { } weighting) json.WriteString("class_weighting", weighting.ToWireName());
        if (preparation.ClassWeights.Count > 0) Numbers(json, "class_weights", preparation.ClassWeights);
        if (preparation.Columns.Count > 0)
        {
            json.WriteStartArray("columns");
            foreach (var column in preparation.Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                if (column.MissingValues is { } policy) json.WriteString("missing_values", policy.ToWireName());
                if (column.Encoding is { } columnEncoding) json.WriteString("encoding", columnEncoding.ToWireName());
                if (column.DateParts is { } parts) Strings(json, "date_parts", parts.Select(p => p.ToWireName()));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static void Numbers(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, double> values)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal)) Number(json, key, value);
        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
