using System.Globalization;
using Platform.Datasets.V1;
using Platform.ModelStore.Datasets.Profiling;
using Platform.ModelStore.Grpc;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Turns a stored profile into the API's <see cref="Platform.Datasets.V1.DatasetProfile"/>: the facts as stored, plus
/// the warnings and (when a label is named) the label's class distribution or value distribution, all derived here from
/// the stored counts and, for the label, the stored <see cref="StoredLabelAnalysis"/>, without reading the data again.
/// </summary>
/// <remarks>
/// Warnings, per column in file order: entirely missing; constant; looks like an identifier (at least
/// <see cref="IdentifierMinRows"/> values and every one distinct, for categorical columns and whole-number numeric
/// ones); at least <see cref="MissingWarningShare"/> missing; categorical with more than
/// <see cref="HighCardinality"/> distinct values; values that look like a missing value written out
/// (<see cref="Placeholders"/>); numeric with at least <see cref="ZeroInflatedShare"/> zeros. For the label: rows that
/// training drops (missing label), a single class, class imbalance (largest class at least
/// <see cref="ImbalanceWarningRatio"/> times the smallest), a numeric label with many values (a regression target), a
/// label with too many values to be a class; and, from the label analysis, a column that is the label under other
/// names, or that alone predicts it almost perfectly (<see cref="LeakScore"/>, <see cref="LeakErrorReduction"/>).
/// Sensitive columns show no values: no top values, and no value quoted in a warning.
/// </remarks>
public static class ProfileReport
{
    /// <summary>Missing share from which a column is warned about.</summary>
    public const double MissingWarningShare = 0.05;

    /// <summary>Fewest values for "every value distinct" to mean an identifier.</summary>
    public const int IdentifierMinRows = 10;

    /// <summary>Distinct values above which a categorical column is called high-cardinality.</summary>
    public const int HighCardinality = 1000;

    /// <summary>Largest-over-smallest class ratio from which imbalance is warned about.</summary>
    public const double ImbalanceWarningRatio = 3;

    /// <summary>Most distinct values of a numeric label for it to be read as classes.</summary>
    public const int MaxNumericClasses = 20;

    /// <summary>Share of a numeric column's values that are zero from which it is zero-inflated (and its IQR outliers are not reported).</summary>
    public const double ZeroInflatedShare = 0.5;

    /// <summary>
    /// One-column score from which a column is a likely leak: the share of rows its groups classify right, or the R² of
    /// its group means for a regression label (<see cref="ColumnAssociation"/>).
    /// </summary>
    public const double LeakScore = 0.98;

    /// <summary>Share of the majority-class guess's errors a classification leak must remove besides (so a 99%-majority label does not make every column a leak).</summary>
    public const double LeakErrorReduction = 0.9;

    /// <summary>|Pearson's r| from which a numeric column is a near-copy of a numeric label.</summary>
    public const double CopyCorrelation = 0.999;

    /// <summary>Values (compared trimmed, ignoring case) that usually stand for a missing value; so does a value of blanks only.</summary>
    public static readonly IReadOnlySet<string> Placeholders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".", "?", "-", "--", "NA", "N/A", "#N/A", "NaN", "null", "none", "nil", "missing", "undefined",
    };

    private sealed record Finding(string Kind, string Column, string Message, string Evidence = "");

    /// <summary>Builds the API message.</summary>
    /// <param name="datasetId">The data set.</param>
    /// <param name="stored">Its stored profile.</param>
    /// <param name="label">The column to describe as a label, or null.</param>
    /// <param name="sensitive">The data set's sensitive columns: their values are never shown.</param>
    /// <exception cref="InvalidArgumentException"><paramref name="label"/> names no column.</exception>
    public static Platform.Datasets.V1.DatasetProfile Build(
        Guid datasetId, StoredProfile stored, string? label, IReadOnlySet<string>? sensitive = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        sensitive ??= new HashSet<string>();
        var result = new Platform.Datasets.V1.DatasetProfile { DatasetId = datasetId.ToString(), RowCount = stored.RowCount };
        var findings = new List<Finding>();
        foreach (var column in stored.Columns)
        {
            result.Columns.Add(ToProto(column, stored.RowCount, sensitive.Contains(column.Name)));
            if (column.Name != label) findings.AddRange(Warnings(column, stored.RowCount, sensitive.Contains(column.Name)));
        }
        if (!string.IsNullOrEmpty(label))
        {
            var column = stored.Columns.FirstOrDefault(c => c.Name == label)
                         ?? throw new InvalidArgumentException("label", $"{Echo.Quote(label)} is not a column of data set {Echo.Quote(datasetId)}");
            var (profile, warnings) = Label(column, stored.RowCount);
            result.Label = profile;
            if (stored.LabelAnalyses?.GetValueOrDefault(label) is { } analysis) warnings.AddRange(Leaks(analysis));
            findings.InsertRange(0, warnings);
        }
        foreach (var finding in findings)
        {
            result.Warnings.Add(finding.Message);
            result.WarningDetails.Add(new ProfileWarning { Kind = finding.Kind, Column = finding.Column, Message = finding.Message, Evidence = finding.Evidence });
        }
        return result;
    }

    /// <summary>The columns that give the label away: a copy of it under other names, or a near-perfect predictor on their own.</summary>
    private static IEnumerable<Finding> Leaks(StoredLabelAnalysis analysis)
    {
        var regression = analysis.Task == "regression";
        foreach (var a in analysis.Columns)
        {
            if (regression)
            {
                if (a.Correlation is { } r && Math.Abs(r) >= CopyCorrelation)
                {
                    var evidence = $"Pearson's r {Fixed(r, 4)} over {analysis.Rows:N0} labelled rows";
                    yield return new Finding("label_copy", a.Column,
                        $"column `{a.Column}` is a near-copy of label `{analysis.Label}` ({evidence}): exclude it (preparation.exclude_columns)", evidence);
                }
                else if (a.Score >= LeakScore)
                {
                    var evidence = $"one-column R² {Fixed(a.Score, 3)} (the mean of each of its {a.Groups} groups of values as the prediction)";
                    yield return new Finding("likely_leak", a.Column,
                        $"column `{a.Column}` alone predicts label `{analysis.Label}` almost perfectly ({evidence}): a likely leak of the answer; " +
                        "exclude it (preparation.exclude_columns) unless it is known before the label is", evidence);
                }
                continue;
            }
            var reduction = a.Baseline < 1 ? (a.Score - a.Baseline) / (1 - a.Baseline) : 0;
            if (a.OneToOne)
            {
                var evidence = $"each of its values goes with one class; one-column accuracy {Percent(a.Score)}";
                yield return new Finding("label_copy", a.Column,
                    $"column `{a.Column}` is a copy of label `{analysis.Label}` under other names ({evidence}): exclude it (preparation.exclude_columns)", evidence);
            }
            else if (a.Score >= LeakScore && reduction >= LeakErrorReduction)
            {
                var evidence = $"one-column accuracy {Percent(a.Score)} against {Percent(a.Baseline)} for the majority class, over {a.Groups} groups of values; " +
                               $"mutual information {Fixed(a.MutualInformation, 2)} of the label's entropy";
                yield return new Finding("likely_leak", a.Column,
                    $"column `{a.Column}` alone predicts label `{analysis.Label}` almost perfectly ({evidence}): a likely leak of the answer; " +
                    "exclude it (preparation.exclude_columns) unless it is known before the label is", evidence);
            }
        }
    }

    private static string Fixed(double value, int digits) => value.ToString("F" + digits, CultureInfo.InvariantCulture);

    private static bool ZeroInflated(StoredColumnProfile column, long nonMissing) =>
        column.Numeric is { ZeroCount: > 0 } n && nonMissing > 0 && n.ZeroCount >= ZeroInflatedShare * nonMissing;

    private static NumericSummary Summary(NumericStats n, bool zeroInflated) => new()
    {
        Min = n.Min, Max = n.Max, Mean = n.Mean, Std = n.Std,
        P5 = n.P5, P25 = n.P25, P50 = n.P50, P75 = n.P75, P95 = n.P95,
        QuantilesExact = n.QuantilesExact,
        // Quartiles of mostly zeros make every non-zero value a Tukey outlier: that count says nothing.
        OutlierCount = zeroInflated ? 0 : n.OutlierCount,
        OutlierLow = zeroInflated ? 0 : n.OutlierLow,
        OutlierHigh = zeroInflated ? 0 : n.OutlierHigh,
        ZeroCount = n.ZeroCount,
        ZeroInflated = zeroInflated,
    };

    private static ColumnProfile ToProto(StoredColumnProfile column, long rows, bool sensitive)
    {
        var nonMissing = rows - column.MissingCount;
        var proto = new ColumnProfile
        {
            Name = column.Name,
            Type = column.Type.ToProto(),
            MissingCount = column.MissingCount,
            MissingShare = Share(column.MissingCount, rows),
            DistinctCount = column.DistinctCount,
            DistinctExact = column.DistinctExact,
            Constant = nonMissing > 0 && column.DistinctCount == 1,
            AllMissing = nonMissing == 0,
            MinDate = column.MinDate ?? "",
            MaxDate = column.MaxDate ?? "",
            MeanLength = column.MeanLength,
        };
        if (column.Numeric is { } n) proto.Numeric = Summary(n, ZeroInflated(column, nonMissing));
        if (column.Type != DatasetColumnType.Numeric && column.Type != DatasetColumnType.Date && !sensitive)
        {
            proto.TopValues.AddRange(column.TopValues.Select(v => Count(v, nonMissing)));
            proto.TopValuesExact = column.TopValuesExact;
        }
        return proto;
    }

    private static IEnumerable<Finding> Warnings(StoredColumnProfile column, long rows, bool sensitive)
    {
        var name = column.Name;
        var nonMissing = rows - column.MissingCount;
        if (nonMissing == 0)
        {
            yield return new Finding("all_missing", name, $"column `{name}` is entirely missing: it carries no information", $"{rows:N0} of {rows:N0} rows missing");
            yield break;
        }
        if (column.DistinctCount == 1)
        {
            var value = (column.TopValues.Count > 0 ? column.TopValues[0].Value : null)
                        ?? (column.Numeric is { } n ? n.Min.ToString("R", CultureInfo.InvariantCulture) : column.MinDate);
            yield return sensitive
                ? new Finding("constant", name, $"column `{name}` is constant (one value in every row): it carries no information", "1 distinct value")
                : new Finding("constant", name, $"column `{name}` is constant (every value is `{value}`): it carries no information", "1 distinct value");
        }
        if (LooksLikeIdentifier(column, nonMissing))
            yield return new Finding("identifier", name, $"column `{name}` looks like an identifier (every value distinct): exclude it from the features",
                $"{(column.DistinctExact ? "" : "about ")}{column.DistinctCount:N0} distinct values in {nonMissing:N0} rows");
        else if (column.Type == DatasetColumnType.Categorical && column.DistinctCount > HighCardinality)
            yield return new Finding("high_cardinality", name,
                $"column `{name}` is categorical with {(column.DistinctExact ? "" : "about ")}{column.DistinctCount:N0} distinct values: " +
                "one-hot encoding would be very wide (hashing suits it)", $"{column.DistinctCount:N0} distinct values");
        var missingShare = Share(column.MissingCount, rows);
        if (missingShare >= MissingWarningShare)
            yield return new Finding("missing_values", name, $"column `{name}` has {Percent(missingShare)} missing values ({column.MissingCount:N0} rows)",
                $"{column.MissingCount:N0} of {rows:N0} rows");
        if (Placeholder(column) is { Count: > 0 } placeholders)
        {
            var total = placeholders.Sum(p => p.Count);
            var listed = string.Join(", ", placeholders.Select(p => $"`{Echo.Value(p.Value)}` ({p.Count:N0})"));
            yield return new Finding("placeholder_values", name,
                $"column `{name}` holds {listed}, which look{(placeholders.Count == 1 ? "s" : "")} like a missing value written out " +
                $"({Percent(Share(total, nonMissing))} of its values): training reads {(placeholders.Count == 1 ? "it" : "them")} as a value of {(placeholders.Count == 1 ? "its" : "their")} own" +
                (column.Type == DatasetColumnType.Categorical ? " and the column as categorical" : "") + "; leave such fields empty before uploading",
                $"{total:N0} of {nonMissing:N0} values");
        }
        if (ZeroInflated(column, nonMissing))
        {
            var zeros = column.Numeric!.ZeroCount;
            yield return new Finding("zero_inflated", name,
                $"column `{name}` is zero-inflated: {Percent(Share(zeros, nonMissing))} of its values are 0, so its quartiles say little and no IQR outliers are reported " +
                "(trees split zero from non-zero by themselves; a linear model may gain from a 0/1 'is zero' column)",
                $"{zeros:N0} of {nonMissing:N0} values are 0");
        }
    }

    /// <summary>The column's values that look like a missing value written out (from its counted values), most frequent first.</summary>
    private static List<ValueCountEntry> Placeholder(StoredColumnProfile column)
    {
        if (column.Type is DatasetColumnType.Numeric or DatasetColumnType.Date) return [];
        var values = column.ValueCounts ?? column.TopValues;
        return values.Where(v => Placeholders.Contains(v.Value.Trim()) || (v.Value.Length > 0 && string.IsNullOrWhiteSpace(v.Value))).ToList();
    }

    private static bool LooksLikeIdentifier(StoredColumnProfile column, long nonMissing)
    {
        if (nonMissing < IdentifierMinRows) return false;
        var candidate = column.Type == DatasetColumnType.Categorical
                        || (column.Type == DatasetColumnType.Numeric && column.Numeric is { Integral: true });
        if (!candidate) return false;
        // An estimate (HyperLogLog, about 1% error) cannot say "every"; within 2% is taken as every.
        return column.DistinctExact ? column.DistinctCount == nonMissing : column.DistinctCount >= 0.98 * nonMissing;
    }

    private static (LabelProfile Profile, List<Finding> Warnings) Label(StoredColumnProfile column, long rows)
    {
        var warnings = new List<Finding>();
        var name = column.Name;
        var nonMissing = rows - column.MissingCount;
        var profile = new LabelProfile
        {
            Column = column.Name,
            Type = column.Type.ToProto(),
            MissingCount = column.MissingCount,
            MissingShare = Share(column.MissingCount, rows),
        };
        if (nonMissing == 0)
        {
            warnings.Add(new Finding("label_all_missing", name, $"label `{name}` is entirely missing: there is nothing to learn", $"{rows:N0} of {rows:N0} rows missing"));
            return (profile, warnings);
        }
        if (column.MissingCount > 0)
            warnings.Add(new Finding("label_missing", name, $"label `{name}` has {Percent(profile.MissingShare)} missing values: those {column.MissingCount:N0} rows will be dropped by training",
                $"{column.MissingCount:N0} of {rows:N0} rows"));

        if (LabelAssociation.IsRegressionLabel(column))
        {
            warnings.Add(new Finding("regression_label", name,
                $"label `{name}` is numeric with {(column.DistinctExact ? "" : "about ")}{column.DistinctCount:N0} distinct values: " +
                "a regression target (its distribution is shown, not classes)", $"{column.DistinctCount:N0} distinct values"));
            if (column.Numeric is { } n) profile.Distribution = Summary(n, ZeroInflated(column, nonMissing));
            return (profile, warnings);
        }
        var classes = column.ValueCounts ?? column.TopValues;
        profile.ClassesComplete = column.ValueCounts is not null;
        profile.Classes.AddRange(classes.Select(v => Count(v, nonMissing)));
        if (!profile.ClassesComplete)
            warnings.Add(new Finding("many_classes", name, $"label `{name}` has more than {ColumnProfiler.StoredValueCountsLimit:N0} distinct values: is it really a class label?",
                $"{column.DistinctCount:N0} distinct values"));
        if (classes.Count == 0) return (profile, warnings);

        var largest = classes.MaxBy(c => c.Count)!;
        var smallest = classes.OrderBy(c => c.Count).ThenBy(c => c.Value, StringComparer.Ordinal).First();
        profile.ImbalanceRatio = (double)largest.Count / smallest.Count;
        if (profile.ClassesComplete && classes.Count == 1)
            warnings.Add(new Finding("single_class", name, $"label `{name}` has one class only (`{largest.Value}`): a classifier cannot learn from it", "1 class"));
        else if (profile.ImbalanceRatio >= ImbalanceWarningRatio)
            warnings.Add(new Finding("imbalance", name, $"label `{name}` is imbalanced: its largest class `{largest.Value}` has " +
                         $"{profile.ImbalanceRatio.ToString("0.#", CultureInfo.InvariantCulture)}× the rows of its smallest `{smallest.Value}` " +
                         $"({Percent(Share(smallest.Count, nonMissing))} of labelled rows): prefer stratified splits and macro metrics",
                $"{largest.Count:N0} against {smallest.Count:N0} rows"));
        return (profile, warnings);
    }

    private static ValueCount Count(ValueCountEntry entry, long nonMissing) =>
        new() { Value = entry.Value, Count = entry.Count, Share = Share(entry.Count, nonMissing) };

    private static double Share(long part, long whole) => whole == 0 ? 0 : (double)part / whole;

    /// <summary>34%, 2.9%, 0.05%: enough digits to tell a small share from none.</summary>
    public static string Percent(double share)
    {
        var percent = share * 100;
        var format = percent >= 10 ? "0" : percent >= 1 ? "0.#" : "0.##";
        return percent.ToString(format, CultureInfo.InvariantCulture) + "%";
    }
}
