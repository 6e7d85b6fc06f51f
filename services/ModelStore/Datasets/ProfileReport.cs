using System.Globalization;
using Platform.Datasets.V1;
using Platform.ModelStore.Datasets.Profiling;
using Platform.ModelStore.Grpc;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Turns a stored profile into the API's <see cref="Platform.Datasets.V1.DatasetProfile"/>: the facts as stored, plus
/// the warnings and (when a label is named) the label's class distribution, both derived here from the stored
/// counts, without reading the data again.
/// </summary>
/// <remarks>
/// Warnings, per column in file order: entirely missing; constant; looks like an identifier (at least
/// <see cref="IdentifierMinRows"/> values and every one distinct, for categorical columns and whole-number numeric
/// ones); at least <see cref="MissingWarningShare"/> missing; categorical with more than
/// <see cref="HighCardinality"/> distinct values. For the label: rows that training drops (missing label), a single
/// class, class imbalance (largest class at least <see cref="ImbalanceWarningRatio"/> times the smallest), a numeric
/// label with many values (a regression target), a label with too many values to be a class.
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

    /// <summary>Builds the API message.</summary>
    /// <exception cref="InvalidArgumentException"><paramref name="label"/> names no column.</exception>
    public static Platform.Datasets.V1.DatasetProfile Build(Guid datasetId, StoredProfile stored, string? label)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var result = new Platform.Datasets.V1.DatasetProfile { DatasetId = datasetId.ToString(), RowCount = stored.RowCount };
        foreach (var column in stored.Columns)
        {
            result.Columns.Add(ToProto(column, stored.RowCount));
            if (column.Name != label) result.Warnings.AddRange(Warnings(column, stored.RowCount));
        }
        if (!string.IsNullOrEmpty(label))
        {
            var column = stored.Columns.FirstOrDefault(c => c.Name == label)
                         ?? throw new InvalidArgumentException("label", $"{Echo.Quote(label)} is not a column of data set {Echo.Quote(datasetId)}");
            var (profile, warnings) = Label(column, stored.RowCount);
            result.Label = profile;
            for (var i = 0; i < warnings.Count; i++) result.Warnings.Insert(i, warnings[i]);
        }
        return result;
    }

    private static ColumnProfile ToProto(StoredColumnProfile column, long rows)
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
        if (column.Numeric is { } n)
        {
            proto.Numeric = new NumericSummary
            {
                Min = n.Min, Max = n.Max, Mean = n.Mean, Std = n.Std,
                P5 = n.P5, P25 = n.P25, P50 = n.P50, P75 = n.P75, P95 = n.P95,
                QuantilesExact = n.QuantilesExact,
                OutlierCount = n.OutlierCount, OutlierLow = n.OutlierLow, OutlierHigh = n.OutlierHigh,
            };
        }
        if (column.Type != DatasetColumnType.Numeric && column.Type != DatasetColumnType.Date)
        {
            proto.TopValues.AddRange(column.TopValues.Select(v => Count(v, nonMissing)));
            proto.TopValuesExact = column.TopValuesExact;
        }
        return proto;
    }

    private static IEnumerable<string> Warnings(StoredColumnProfile column, long rows)
    {
        var nonMissing = rows - column.MissingCount;
        if (nonMissing == 0)
        {
            yield return $"column `{column.Name}` is entirely missing: it carries no information";
            yield break;
        }
        if (column.DistinctCount == 1)
        {
            var value = (column.TopValues.Count > 0 ? column.TopValues[0].Value : null)
                        ?? (column.Numeric is { } n ? n.Min.ToString("R", CultureInfo.InvariantCulture) : column.MinDate);
            yield return $"column `{column.Name}` is constant (every value is `{value}`): it carries no information";
        }
        if (LooksLikeIdentifier(column, nonMissing))
            yield return $"column `{column.Name}` looks like an identifier (every value distinct): exclude it from the features";
        else if (column.Type == DatasetColumnType.Categorical && column.DistinctCount > HighCardinality)
            yield return $"column `{column.Name}` is categorical with {(column.DistinctExact ? "" : "about ")}{column.DistinctCount:N0} distinct values: " +
                         "one-hot encoding would be very wide (hashing suits it)";
        var missingShare = Share(column.MissingCount, rows);
        if (missingShare >= MissingWarningShare)
            yield return $"column `{column.Name}` has {Percent(missingShare)} missing values ({column.MissingCount:N0} rows)";
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

    private static (LabelProfile Profile, List<string> Warnings) Label(StoredColumnProfile column, long rows)
    {
        var warnings = new List<string>();
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
            warnings.Add($"label `{column.Name}` is entirely missing: there is nothing to learn");
            return (profile, warnings);
        }
        if (column.MissingCount > 0)
            warnings.Add($"label `{column.Name}` has {Percent(profile.MissingShare)} missing values: those {column.MissingCount:N0} rows will be dropped by training");

        var numericTarget = column.Type == DatasetColumnType.Numeric && column.DistinctCount > MaxNumericClasses;
        if (numericTarget)
        {
            warnings.Add($"label `{column.Name}` is numeric with {(column.DistinctExact ? "" : "about ")}{column.DistinctCount:N0} distinct values: " +
                         "a regression target (no class distribution)");
            return (profile, warnings);
        }
        var classes = column.ValueCounts ?? column.TopValues;
        profile.ClassesComplete = column.ValueCounts is not null;
        profile.Classes.AddRange(classes.Select(v => Count(v, nonMissing)));
        if (!profile.ClassesComplete)
            warnings.Add($"label `{column.Name}` has more than {ColumnProfiler.StoredValueCountsLimit:N0} distinct values: is it really a class label?");
        if (classes.Count == 0) return (profile, warnings);

        var largest = classes.MaxBy(c => c.Count)!;
        var smallest = classes.OrderBy(c => c.Count).ThenBy(c => c.Value, StringComparer.Ordinal).First();
        profile.ImbalanceRatio = (double)largest.Count / smallest.Count;
        if (profile.ClassesComplete && classes.Count == 1)
            warnings.Add($"label `{column.Name}` has one class only (`{largest.Value}`): a classifier cannot learn from it");
        else if (profile.ImbalanceRatio >= ImbalanceWarningRatio)
            warnings.Add($"label `{column.Name}` is imbalanced: its largest class `{largest.Value}` has " +
                         $"{profile.ImbalanceRatio.ToString("0.#", CultureInfo.InvariantCulture)}× the rows of its smallest `{smallest.Value}` " +
                         $"({Percent(Share(smallest.Count, nonMissing))} of labelled rows): prefer stratified splits and macro metrics");
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
