using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.Serving.V1;
using Platform.Training;

namespace Platform.Serving.Monitoring;

/// <summary>A logged predicted row: its inputs as logged (a JSON object) and its answer.</summary>
internal sealed record LoggedRow(string Inputs, string? PredictedLabel, double? PredictedValue);

/// <summary>A logged predicted row whose true outcome was reported.</summary>
internal sealed record ReportedRow(string? PredictedLabel, double? PredictedValue, string? Label, double? Value);

/// <summary>
/// What a version's served data is compared with: for each input column the training data's profile describes, its
/// distribution there, and the label's distribution for the prediction. Built once per version (a data set's profile
/// never changes); measuring a window is pure.
/// </summary>
internal sealed class MonitoringReference
{
    private MonitoringReference(TrainingTask? task, IReadOnlyList<(string Column, ReferenceDistribution Reference)> features,
        ReferenceDistribution? prediction, IReadOnlyList<string> notes)
    {
        Task = task;
        Features = features;
        Prediction = prediction;
        Notes = notes;
    }

    public TrainingTask? Task { get; }

    /// <summary>The measured input columns, in the profile's (file) order.</summary>
    public IReadOnlyList<(string Column, ReferenceDistribution Reference)> Features { get; }

    /// <summary>The training label's distribution; null for clustering, or without a profile.</summary>
    public ReferenceDistribution? Prediction { get; }

    /// <summary>What cannot be measured, and why.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// From a version and its training data's profile (null: an uploaded model, or its data set was erased). The
    /// measured columns are the input columns the profile describes, the label excepted.
    /// </summary>
    public static MonitoringReference From(ModelVersion version, DatasetProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(version);
        TrainingTask? task = TrainingTasks.TryParse(version.Task, out var parsed) ? parsed : null;
        if (profile is null)
            return new MonitoringReference(task, [], null, [string.IsNullOrEmpty(version.DatasetId)
                ? "no drift: the version was uploaded, so there is no training data profile to compare with"
                : $"no drift: the profile of data set {version.DatasetId} cannot be read (erased?)"]);
        var inputs = version.InputSchema.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var features = new List<(string, ReferenceDistribution)>();
        var notes = new List<string>();
        foreach (var column in profile.Columns)
        {
            if (column.Name == version.LabelColumn || (inputs.Count > 0 && !inputs.Contains(column.Name))) continue;
            if (ReferenceDistribution.From(column) is { } reference) features.Add((column.Name, reference));
            else notes.Add($"{column.Name}: not measured ({column.Type.ToString().ToLowerInvariant()} column without a distribution in the profile)");
        }
        var prediction = task is TrainingTask.Clustering || profile.Label is null ? null : ReferenceDistribution.From(profile.Label);
        return new MonitoringReference(task, features, prediction, notes);
    }

    /// <summary>Measures one window: the drift of every feature and of the prediction, and live quality.</summary>
    /// <param name="rows">The window's logged rows.</param>
    /// <param name="reported">The window's logged rows whose outcome was reported (one each).</param>
    public MonitoringWindow Measure(DateTimeOffset start, DateTimeOffset end, IReadOnlyList<LoggedRow> rows,
        IReadOnlyList<ReportedRow> reported, MonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(reported);
        ArgumentNullException.ThrowIfNull(options);
        var window = new MonitoringWindow { Start = Timestamp.FromDateTimeOffset(start), End = Timestamp.FromDateTimeOffset(end), Rows = rows.Count };
        var inputs = rows.Select(r => Parse(r.Inputs)).ToList();
        foreach (var (column, reference) in Features)
        {
            // A column a row lacks (a sensitive column the log leaves out) is not counted for that row.
            var present = inputs.Where(i => i.ContainsKey(column)).Select(i => i[column]).ToList();
            window.Features.Add(ToProto(Measure(column, reference, present), options));
        }
        if (Prediction is not null)
        {
            var predicted = rows.Select(r => r.PredictedLabel is { } label ? new PredictedValue(label, null) : new PredictedValue(null, r.PredictedValue)).ToList();
            window.Prediction = ToProto(Measure("prediction", Prediction, predicted.Select(p => p.AsJson()).ToList()), options);
        }
        window.Quality = ToProto(Quality(reported));
        var levels = window.Features.Select(f => f.Level).Append(window.Prediction?.Level ?? Level(DriftLevel.Unknown));
        window.Level = Level(levels.Select(ParseLevel).DefaultIfEmpty(DriftLevel.Unknown).Max());
        return window;
    }

    /// <summary>The level's wire name: unknown, stable, moderate, significant.</summary>
    public static string Level(DriftLevel level) => level.ToString().ToLowerInvariant();

    private static DriftLevel ParseLevel(string level) => System.Enum.Parse<DriftLevel>(level, ignoreCase: true);

    private LiveQuality Quality(IReadOnlyList<ReportedRow> reported) => Task switch
    {
        TrainingTask.Regression => LiveQuality.OfValues([.. reported.Where(r => r.PredictedValue is not null && r.Value is not null)
            .Select(r => (r.PredictedValue!.Value, r.Value!.Value))]),
        TrainingTask.BinaryClassification or TrainingTask.MulticlassClassification => LiveQuality.OfClasses([.. reported
            .Where(r => r.PredictedLabel is not null && r.Label is not null).Select(r => (r.PredictedLabel!, r.Label!))]),
        _ => LiveQuality.None,
    };

    private static DriftMeasure Measure(string column, ReferenceDistribution reference, IReadOnlyList<JsonElement?> values) => reference switch
    {
        NumericReference numeric => numeric.Measure(column, [.. values.Select(AsNumber)]),
        CategoricalReference categorical => categorical.Measure(column, [.. values.Select(AsText)]),
        _ => throw new InvalidOperationException($"Unknown reference {reference.GetType().Name}."),
    };

    private static double? AsNumber(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        { ValueKind: JsonValueKind.String } v when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static string? AsText(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => null,
    };

    private static Dictionary<string, JsonElement?> Parse(string inputs)
    {
        var result = new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        try
        {
            using var json = JsonDocument.Parse(inputs);
            if (json.RootElement.ValueKind != JsonValueKind.Object) return result;
            foreach (var property in json.RootElement.EnumerateObject())
                result[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.Clone();
        }
        catch (JsonException)
        {
            // A row the log could not have written; measured as if it had no inputs.
        }
        return result;
    }

    private static FeatureDrift ToProto(DriftMeasure measure, MonitoringOptions options)
    {
        var drift = new FeatureDrift { Column = measure.Column, Kind = measure.Kind, Rows = measure.Rows, Level = Level(options.LevelOf(measure.Psi, measure.Rows)) };
        if (double.IsFinite(measure.Psi)) drift.Psi = measure.Psi;
        if (double.IsFinite(measure.KsStatistic)) drift.KsStatistic = measure.KsStatistic;
        if (double.IsFinite(measure.KsPValue)) drift.KsPValue = measure.KsPValue;
        if (double.IsFinite(measure.ChiSquare)) drift.ChiSquare = measure.ChiSquare;
        if (double.IsFinite(measure.ChiSquarePValue)) drift.ChiSquarePValue = measure.ChiSquarePValue;
        return drift;
    }

    private static V1.LiveQuality ToProto(LiveQuality quality)
    {
        var proto = new V1.LiveQuality { Outcomes = quality.Outcomes };
        if (double.IsFinite(quality.Accuracy)) proto.Accuracy = quality.Accuracy;
        if (double.IsFinite(quality.MacroF1)) proto.MacroF1 = quality.MacroF1;
        if (double.IsFinite(quality.Rmse)) proto.Rmse = quality.Rmse;
        if (double.IsFinite(quality.R2)) proto.R2 = quality.R2;
        return proto;
    }

    // The prediction is measured like a column: a class as text, a value as a number.
    private sealed record PredictedValue(string? Label, double? Value)
    {
        public JsonElement? AsJson() =>
            Label is not null ? JsonSerializer.SerializeToElement(Label)
            : Value is { } v && double.IsFinite(v) ? JsonSerializer.SerializeToElement(v)
            : null;
    }
}
