using Platform.Training.Data;
using Platform.Contracts;

namespace Platform.Training.Preparation;

/// <summary>How a feature column becomes numbers, once the spec and the column's type are taken together.</summary>
public enum FeatureTreatment
{
    /// <summary>A number, used as it is.</summary>
    Number,
    /// <summary>One-hot encoded.</summary>
    OneHot,
    /// <summary>Hash encoded.</summary>
    Hashing,
    /// <summary>Featurised as text.</summary>
    Text,
    /// <summary>One-hot or hashing, decided by the number of distinct values in the training rows.</summary>
    Automatic,
    /// <summary>A date: numbers taken from it (<see cref="Preparation.DateParts"/>).</summary>
    DateParts,
}

/// <summary>One feature column with its resolved treatment and missing-value policy.</summary>
/// <param name="DateParts">A date column's parts as chosen; null for the default (settled on the training rows: the hour where they hold a time).</param>
public sealed record PlannedFeature(DatasetColumn Column, FeatureTreatment Treatment, MissingValuePolicy MissingValues, IReadOnlyList<DatePart>? DateParts = null);

/// <summary>
/// A <see cref="DataPreparation"/> checked against a data set's columns and resolved: every feature column
/// with its treatment and missing-value policy, the excluded columns, the normalization. What is still
/// open (medians, most frequent values, automatic encodings) is settled on the training rows by
/// <see cref="FittedPreparation"/>.
/// </summary>
public sealed class PreparationPlan
{
    /// <summary>The most column names an error message lists.</summary>
    private const int ListedColumns = 20;

    private PreparationPlan(
        DataPreparation spec, IReadOnlyList<PlannedFeature> features, IReadOnlyList<string> excluded,
        FeatureNormalization normalization, int hashingThreshold, int hashingBits, IReadOnlyList<string> sensitiveWithheld)
    {
        Spec = spec;
        SensitiveWithheld = sensitiveWithheld;
        Features = features;
        ExcludedColumns = excluded;
        Normalization = normalization;
        HashingThreshold = hashingThreshold;
        HashingBits = hashingBits;
    }

    /// <summary>The preparation as the job gave it.</summary>
    public DataPreparation Spec { get; }

    /// <summary>The feature columns, in file order.</summary>
    public IReadOnlyList<PlannedFeature> Features { get; }

    /// <summary>Columns that are neither the label nor a feature, in file order.</summary>
    public IReadOnlyList<string> ExcludedColumns { get; }

    /// <summary>Sensitive columns left out because the job did not opt in to them (<see cref="DataPreparation.UseSensitiveColumns"/>), in file order.</summary>
    public IReadOnlyList<string> SensitiveWithheld { get; }

    public FeatureNormalization Normalization { get; }

    public int HashingThreshold { get; }

    public int HashingBits { get; }

    /// <summary>The features whose missing values drop the row from training and evaluation.</summary>
    public IEnumerable<DatasetColumn> DropRowColumns =>
        Features.Where(f => f.MissingValues == MissingValuePolicy.DropRow).Select(f => f.Column);

    /// <summary>
    /// Checks <paramref name="spec"/> against the data set's <paramref name="columns"/> and resolves it.
    /// Field names in errors are relative to the job spec: <c>preparation.exclude_columns[0]</c>,
    /// <c>preparation.columns[2].missing_values</c>, ….
    /// </summary>
    /// <param name="labelColumn">The label, which is never a feature; null when the task has none.</param>
    /// <param name="normalizeByDefault">The trainer's default: min-max scaling (linear models, k-means) or none (trees).</param>
    /// <exception cref="SpecValidationException">A column is unknown, a choice does not apply to its column, or no feature is left.</exception>
    public static PreparationPlan Create(
        DataPreparation spec, IReadOnlyList<DatasetColumn> columns, string? labelColumn, bool normalizeByDefault)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(columns);
        var byName = new Dictionary<string, DatasetColumn>(StringComparer.Ordinal);
        foreach (var column in columns) byName.TryAdd(column.Name, column);

        var hashingThreshold = spec.HashingThreshold ?? DataPreparation.DefaultHashingThreshold;
        if (hashingThreshold is < 1 or > 10_000_000)
            throw new SpecValidationException("preparation.hashing_threshold", $"{hashingThreshold} is out of range; expected a value from 1 to 10000000");
        var hashingBits = spec.HashingBits ?? DataPreparation.DefaultHashingBits;
        if (hashingBits is < 1 or > 24)
            throw new SpecValidationException("preparation.hashing_bits", $"{hashingBits} is out of range; expected a value from 1 to 24");

        var allowed = Names(spec.UseSensitiveColumns, "preparation.use_sensitive_columns", byName, columns, labelColumn, rejectLabel: false);
        for (var i = 0; i < spec.UseSensitiveColumns.Count; i++)
        {
            if (!byName[spec.UseSensitiveColumns[i]].Sensitive)
                throw new SpecValidationException($"preparation.use_sensitive_columns[{i}]",
                    $"{Echo.Quote(spec.UseSensitiveColumns[i])} is not marked sensitive on the data set; this list names sensitive columns only");
        }
        // A sensitive column trains nothing, as a feature or as the label, unless the job names it.
        bool Withheld(string name) => byName[name].Sensitive && !allowed.Contains(name);
        if (labelColumn is not null && byName.ContainsKey(labelColumn) && Withheld(labelColumn))
            throw new SpecValidationException("label_column", SensitiveNotChosen(labelColumn));
        var included = Names(spec.IncludeColumns, "preparation.include_columns", byName, columns, labelColumn, rejectLabel: true);
        var excluded = Names(spec.ExcludeColumns, "preparation.exclude_columns", byName, columns, labelColumn, rejectLabel: false);
        for (var i = 0; i < spec.ExcludeColumns.Count; i++)
        {
            if (included.Contains(spec.ExcludeColumns[i]))
                throw new SpecValidationException($"preparation.exclude_columns[{i}]",
                    $"{Echo.Quote(spec.ExcludeColumns[i])} is also in include_columns; a column is either a feature or not");
        }
        for (var i = 0; i < spec.IncludeColumns.Count; i++)
        {
            if (Withheld(spec.IncludeColumns[i]))
                throw new SpecValidationException($"preparation.include_columns[{i}]", SensitiveNotChosen(spec.IncludeColumns[i]));
        }
        bool IsFeature(string name) => name != labelColumn && !Withheld(name)
            && !excluded.Contains(name) && (included.Count == 0 || included.Contains(name));

        var choices = new Dictionary<string, (ColumnPreparation Choice, int Index)>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Columns.Count; i++)
        {
            var choice = spec.Columns[i];
            var field = $"preparation.columns[{i}]";
            var column = Lookup(choice.Name, $"{field}.name", byName, columns);
            if (column.Name == labelColumn)
                throw new SpecValidationException($"{field}.name", $"{Echo.Quote(column.Name)} is the label column; preparation applies to feature columns");
            if (Withheld(column.Name))
                throw new SpecValidationException($"{field}.name", SensitiveNotChosen(column.Name));
            if (!IsFeature(column.Name))
                throw new SpecValidationException($"{field}.name",
                    $"{Echo.Quote(column.Name)} is not a feature ({(excluded.Contains(column.Name) ? "it is in exclude_columns" : "it is not in include_columns")})");
            if (!choices.TryAdd(column.Name, (choice, i)))
                throw new SpecValidationException($"{field}.name", $"{Echo.Quote(column.Name)} is prepared twice (also at preparation.columns[{choices[column.Name].Index}])");
            if (choice.MissingValues is { } policy && !Applies(policy, column.Kind))
                throw new SpecValidationException($"{field}.missing_values",
                    $"{policy.ToWireName()} does not apply to {Echo.Quote(column.Name)}, a {column.Kind.ToString().ToLowerInvariant()} column; {Applicable(column.Kind)} do");
            if (choice.Encoding == ColumnEncoding.Text && column.Kind == ColumnKind.Numeric)
                throw new SpecValidationException($"{field}.encoding", $"text does not apply to {Echo.Quote(column.Name)}, a numeric column; one_hot and hashing do");
            if (choice.Encoding is { } encoding && column.Kind == ColumnKind.Date)
                throw new SpecValidationException($"{field}.encoding", $"{encoding.ToWireName()} does not apply to {Echo.Quote(column.Name)}, a date column: it becomes date_parts");
            if (choice.DateParts is { } parts)
            {
                if (column.Kind != ColumnKind.Date)
                    throw new SpecValidationException($"{field}.date_parts", $"apply to date columns only; {Echo.Quote(column.Name)} is {column.Kind.ToString().ToLowerInvariant()}");
                if (parts.Count == 0)
                    throw new SpecValidationException($"{field}.date_parts", $"is empty; to leave {Echo.Quote(column.Name)} out, name it in exclude_columns");
                if (parts.Distinct().Count() != parts.Count)
                    throw new SpecValidationException($"{field}.date_parts", "names a part twice");
            }
        }

        var features = new List<PlannedFeature>();
        foreach (var column in columns.Where(c => IsFeature(c.Name)))
        {
            var choice = choices.TryGetValue(column.Name, out var found) ? found.Choice : null;
            features.Add(new PlannedFeature(column, Treatment(column, choice?.Encoding, spec.CategoricalEncoding),
                choice?.MissingValues ?? DefaultPolicy(column.Kind, spec.MissingValues), choice?.DateParts));
        }
        // A part's feature column must not take the name of a column of the data set.
        foreach (var feature in features.Where(f => f.Treatment == FeatureTreatment.DateParts))
        {
            foreach (var part in Enum.GetValues<DatePart>())
            {
                var partColumn = DateParts.ColumnName(feature.Column.Name, part);
                if (byName.ContainsKey(partColumn))
                    throw new SpecValidationException("preparation",
                        $"date column {Echo.Quote(feature.Column.Name)} would add the feature {Echo.Quote(partColumn)}, which is already a column of the data set: rename or exclude one of them");
            }
        }
        if (features.Count == 0)
            throw new SpecValidationException("preparation",
                $"leaves no feature columns: the data set's columns are {List(columns)}{(labelColumn is null ? "" : $", with {Echo.Quote(labelColumn)} the label")}");

        var normalization = spec.Normalization ?? (normalizeByDefault ? FeatureNormalization.MinMax : FeatureNormalization.None);
        var others = columns.Where(c => c.Name != labelColumn && !IsFeature(c.Name)).Select(c => c.Name).ToArray();
        var withheld = columns.Where(c => c.Name != labelColumn && Withheld(c.Name)).Select(c => c.Name).ToArray();
        return new PreparationPlan(spec, features, others, normalization, hashingThreshold, hashingBits, withheld);
    }

    private static string SensitiveNotChosen(string name) =>
        $"{Echo.Quote(name)} is marked sensitive on the data set; name it in preparation.use_sensitive_columns as well to train on it";

    /// <summary>Whether a policy can be used on a column of this kind.</summary>
    public static bool Applies(MissingValuePolicy policy, ColumnKind kind) => policy switch
    {
        MissingValuePolicy.Mean => kind is ColumnKind.Numeric or ColumnKind.Date,
        MissingValuePolicy.Median => kind == ColumnKind.Numeric,
        MissingValuePolicy.MostFrequent => kind is not (ColumnKind.Text or ColumnKind.Date),
        _ => true,
    };

    private static string Applicable(ColumnKind kind) => kind switch
    {
        ColumnKind.Numeric => "mean, median, most_frequent, drop_row and indicator",
        ColumnKind.Text => "drop_row and indicator",
        ColumnKind.Date => "mean (of each date part), drop_row and indicator",
        _ => "most_frequent, drop_row and indicator",
    };

    private static MissingValuePolicy DefaultPolicy(ColumnKind kind, MissingValuePolicy? chosen) =>
        chosen is { } policy && Applies(policy, kind)
            ? policy
            : kind is ColumnKind.Numeric or ColumnKind.Date ? MissingValuePolicy.Mean : MissingValuePolicy.Indicator;

    private static FeatureTreatment Treatment(DatasetColumn column, ColumnEncoding? encoding, CategoricalEncoding? categorical) => encoding switch
    {
        ColumnEncoding.OneHot => FeatureTreatment.OneHot,
        ColumnEncoding.Hashing => FeatureTreatment.Hashing,
        ColumnEncoding.Text => FeatureTreatment.Text,
        _ => column.Kind switch
        {
            ColumnKind.Numeric => FeatureTreatment.Number,
            ColumnKind.Text => FeatureTreatment.Text,
            ColumnKind.Date => FeatureTreatment.DateParts,
            _ => categorical switch
            {
                CategoricalEncoding.OneHot => FeatureTreatment.OneHot,
                CategoricalEncoding.Hashing => FeatureTreatment.Hashing,
                _ => FeatureTreatment.Automatic,
            },
        },
    };

    private static HashSet<string> Names(
        IReadOnlyList<string> names, string field, Dictionary<string, DatasetColumn> byName, IReadOnlyList<DatasetColumn> columns,
        string? labelColumn, bool rejectLabel)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var column = Lookup(names[i], $"{field}[{i}]", byName, columns);
            if (rejectLabel && column.Name == labelColumn)
                throw new SpecValidationException($"{field}[{i}]", $"{Echo.Quote(column.Name)} is the label column; it is never a feature");
            if (!set.Add(column.Name))
                throw new SpecValidationException($"{field}[{i}]", $"{Echo.Quote(column.Name)} is listed twice");
        }
        return set;
    }

    private static DatasetColumn Lookup(string? name, string field, Dictionary<string, DatasetColumn> byName, IReadOnlyList<DatasetColumn> columns)
    {
        if (string.IsNullOrEmpty(name))
            throw new SpecValidationException(field, "is required: a column name");
        if (byName.TryGetValue(name, out var column))
            return column;
        var nearly = columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
        throw new SpecValidationException(field,
            $"{Echo.Quote(name)} is not a column of the data set{(nearly is null ? "" : $" (did you mean {Echo.Quote(nearly.Name)}?)")}; its columns are {List(columns)}");
    }

    private static string List(IReadOnlyList<DatasetColumn> columns) =>
        string.Join(", ", columns.Take(ListedColumns).Select(c => $"{Echo.Quote(c.Name)}")) + (columns.Count > ListedColumns ? $", … ({columns.Count} in all)" : "");
}
