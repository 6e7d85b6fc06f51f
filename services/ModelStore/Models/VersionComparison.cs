using System.Globalization;
using System.Text.Json;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>
/// <c>CompareModelVersions</c>: versions side by side. Each version comes with what its evaluation artifact says about
/// how it was measured (method, confusion matrix); the metrics are lined up by name with the better value marked, by
/// the direction of each metric (<see cref="MetricDirections"/>).
/// </summary>
public sealed class VersionComparison(ModelVersionCatalog catalog, BlobStore blobs)
{
    /// <summary>Fewest references a comparison takes.</summary>
    public const int MinVersions = 2;

    /// <summary>Most references a comparison takes (a screen's width of columns).</summary>
    public const int MaxVersions = 20;

    /// <summary>Largest evaluation artifact the store reads into memory (a generated one is a few kilobytes per class).</summary>
    public const long MaxEvaluationBytes = 8L * 1024 * 1024;

    /// <summary>Checks the references of a request, naming <c>references[i]</c> in any error.</summary>
    /// <exception cref="InvalidArgumentException">Fewer than two, more than twenty, or one is not a reference.</exception>
    public static IReadOnlyList<ModelReference> ParseReferences(IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count is < MinVersions or > MaxVersions)
            throw new InvalidArgumentException("references", $"names {references.Count} versions; compare {MinVersions} to {MaxVersions}");
        return [.. references.Select((r, i) => ModelReference.Parse(r, $"references[{i}]"))];
    }

    /// <summary>The versions the references name, in their order, each with its recorded evaluation (null when it has none).</summary>
    /// <exception cref="NotFoundException">A reference names no version.</exception>
    public async Task<IReadOnlyList<ComparedVersion>> LoadAsync(
        string tenantId, IReadOnlyList<ModelReference> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        var versions = new List<ComparedVersion>(references.Count);
        foreach (var reference in references)
        {
            var version = await catalog.ResolveAsync(tenantId, reference, cancellationToken);
            versions.Add(new ComparedVersion(version, await ReadEvaluationAsync(version, cancellationToken)));
        }
        return versions;
    }

    /// <summary>
    /// Every metric any version has, by name, one value per version; a cross-validation's <c>accuracy_std</c> rides
    /// with <c>accuracy</c>. The better values are marked unless fewer than two versions have a finite value or all tie.
    /// </summary>
    public static IReadOnlyList<MetricRow> Metrics(IReadOnlyList<ModelVersionRecord> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var names = versions.SelectMany(v => v.Metrics.Keys).ToHashSet(StringComparer.Ordinal);
        var rows = new List<MetricRow>();
        foreach (var name in names.Where(n => !IsDeviationOfAnother(n, names)).Order(StringComparer.Ordinal))
        {
            var direction = MetricDirections.Of(name);
            var values = versions.Select(v => v.Metrics.TryGetValue(name, out var value) ? value : (double?)null).ToArray();
            var finite = values.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToArray();
            double? best = finite.Length < 2 || finite.All(v => v == finite[0]) ? null
                : direction == MetricDirection.LowerIsBetter ? finite.Min() : finite.Max();
            rows.Add(new MetricRow(name, direction, [.. versions.Select((v, i) => new MetricCell(
                values[i],
                v.Metrics.TryGetValue(MetricDirections.StandardDeviationOf(name), out var deviation) ? deviation : null,
                best is { } b && values[i] == b))]));
        }
        return rows;
    }

    private static bool IsDeviationOfAnother(string name, HashSet<string> names) =>
        name.EndsWith(MetricDirections.StandardDeviationSuffix, StringComparison.Ordinal)
        && names.Contains(name[..^MetricDirections.StandardDeviationSuffix.Length]);

    /// <summary>
    /// The evaluation artifact's method and confusion matrix. An upload may carry an artifact of that kind in any shape,
    /// so one that is too large or is not a worker's evaluation.json reads as none rather than failing the comparison.
    /// </summary>
    private async Task<RecordedEvaluation?> ReadEvaluationAsync(ModelVersionRecord version, CancellationToken cancellationToken)
    {
        if (version.Artifacts.SingleOrDefault(a => a.Kind == ArtifactDeclaration.EvaluationKind) is not { } artifact
            || artifact.SizeBytes > MaxEvaluationBytes)
            return null;
        var bytes = await blobs.ReadAllAsync(artifact.Sha256, $"evaluation of '{version.Model!.Name}:{version.Version}'", cancellationToken);
        try
        {
            return RecordedEvaluation.Parse(bytes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            return null;
        }
    }
}

/// <summary>A compared version and its recorded evaluation (null for a version without a readable one).</summary>
public sealed record ComparedVersion(ModelVersionRecord Version, RecordedEvaluation? Evaluation);

/// <summary>One metric across the compared versions.</summary>
public sealed record MetricRow(string Metric, MetricDirection Direction, IReadOnlyList<MetricCell> Values);

/// <summary>One version's value of a metric (null: it has none), its standard deviation over folds, and whether it is the better one.</summary>
public sealed record MetricCell(double? Value, double? StandardDeviation, bool Better);

/// <summary>
/// What a worker's evaluation.json says about how a version was measured: <c>evaluation.method</c>, <c>folds</c>,
/// <c>holdout_fraction</c>, <c>stratified</c>, and the pooled <c>confusion_matrix</c> (classification only).
/// </summary>
public sealed record RecordedEvaluation(
    string Method, int Folds, double HoldoutFraction, bool Stratified, IReadOnlyList<string> Classes, IReadOnlyList<long> Counts)
{
    /// <summary>Reads evaluation.json (numbers may be written as strings such as "NaN").</summary>
    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="KeyNotFoundException">No <c>evaluation</c> object.</exception>
    public static RecordedEvaluation Parse(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var method = document.RootElement.GetProperty("evaluation");
        string[] classes = [];
        long[] counts = [];
        if (document.RootElement.TryGetProperty("confusion_matrix", out var matrix) && matrix.ValueKind == JsonValueKind.Object)
        {
            classes = [.. matrix.GetProperty("classes").EnumerateArray().Select(c => c.GetString() ?? "")];
            counts = [.. matrix.GetProperty("counts").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(c => c.GetInt64()))];
            if (counts.Length != classes.Length * classes.Length)
                throw new FormatException("the confusion matrix is not square in its classes");
        }
        return new RecordedEvaluation(
            method.GetProperty("method").GetString() ?? "",
            method.TryGetProperty("folds", out var folds) ? folds.GetInt32() : 0,
            method.TryGetProperty("holdout_fraction", out var fraction) ? Number(fraction) : 0,
            method.TryGetProperty("stratified", out var stratified) && stratified.GetBoolean(),
            classes, counts);
    }

    private static double Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : value.GetDouble();
}
