using Platform.Datasets.V1;

namespace Platform.Serving.Monitoring;

/// <summary>What one served column (or the prediction) is compared with, and the comparison's figures.</summary>
/// <param name="Column">The column, or <c>prediction</c>.</param>
/// <param name="Kind"><c>numeric</c> or <c>categorical</c>.</param>
/// <param name="Rows">Served values compared (missing ones included).</param>
/// <param name="Psi">Population stability index over the buckets (NaN without rows).</param>
/// <param name="KsStatistic">Numeric: Kolmogorov–Smirnov distance to the reference CDF; NaN otherwise.</param>
/// <param name="ChiSquare">Categorical: Pearson's chi-square against the reference shares; NaN otherwise.</param>
public sealed record DriftMeasure(
    string Column, string Kind, long Rows, double Psi, double KsStatistic, double KsPValue, double ChiSquare, double ChiSquarePValue);

/// <summary>
/// A column's distribution in the training data, as its stored profile describes it, cut into buckets drift is measured
/// over. The profile keeps quantiles and the most frequent values, not the rows, so that is what the buckets are:
/// numeric columns by their quantiles (p5, p25, p50, p75, p95: six buckets holding 5, 20, 25, 25, 20 and 5 % of the
/// training values), categorical ones by their most frequent values (up to 10) plus one for every other value; both plus
/// one for missing values (the profile's missing share).
/// </summary>
public abstract class ReferenceDistribution
{
    /// <summary>The bucket of missing values is the last one.</summary>
    public abstract IReadOnlyList<double> ExpectedShares { get; }

    /// <summary>From a column's profile; null when the profile has nothing to compare with (all missing, a date column).</summary>
    public static ReferenceDistribution? From(ColumnProfile column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.AllMissing) return null;
        if (column.Type == ColumnType.Numeric && column.Numeric is { } numeric) return new NumericReference(numeric, column.MissingShare);
        if (column.TopValues.Count > 0) return new CategoricalReference(column.TopValues, column.MissingShare);
        return null;
    }

    /// <summary>A label's distribution: its classes for classification, its numeric summary for regression.</summary>
    public static ReferenceDistribution? From(LabelProfile label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Classes.Count > 0) return new CategoricalReference(label.Classes, missingShare: 0);
        return label.Distribution is { } numeric ? new NumericReference(numeric, missingShare: 0) : null;
    }
}

/// <summary>A numeric column: buckets between its quantiles, the reference CDF through them for Kolmogorov–Smirnov.</summary>
public sealed class NumericReference : ReferenceDistribution
{
    private static readonly double[] Levels = [0.05, 0.25, 0.50, 0.75, 0.95];
    private readonly double[] _edges;
    private readonly double[] _shares;
    private readonly (double X, double P)[] _cdf;

    public NumericReference(NumericSummary summary, double missingShare)
    {
        ArgumentNullException.ThrowIfNull(summary);
        double[] quantiles = [summary.P5, summary.P25, summary.P50, summary.P75, summary.P95];
        // Equal quantiles (a constant or zero-inflated column) make one edge holding the highest level: P(X ≤ edge).
        var edges = new List<double>();
        var levels = new List<double>();
        for (var i = 0; i < quantiles.Length; i++)
        {
            if (edges.Count > 0 && edges[^1] == quantiles[i]) levels[^1] = Levels[i];
            else
            {
                edges.Add(quantiles[i]);
                levels.Add(Levels[i]);
            }
        }
        _edges = [.. edges];
        var present = 1 - missingShare;
        var shares = new double[_edges.Length + 2];
        var below = 0.0;
        for (var i = 0; i < _edges.Length; i++)
        {
            shares[i] = (levels[i] - below) * present;
            below = levels[i];
        }
        shares[_edges.Length] = (1 - below) * present;
        shares[^1] = missingShare;
        _shares = shares;
        var points = new List<(double X, double P)> { (summary.Min, 0) };
        for (var i = 0; i < _edges.Length; i++) points.Add((_edges[i], levels[i]));
        points.Add((summary.Max, 1));
        _cdf = [.. points];
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> ExpectedShares => _shares;

    /// <summary>The bucket edges: a value v is in the first bucket whose edge is ≥ v, or the last (non-missing) one.</summary>
    public IReadOnlyList<double> Edges => _edges;

    /// <summary>
    /// The training data's CDF as the profile knows it: linear between min, the quantiles and max (0 below min, 1 above
    /// max). The quantiles are exact or within 0.5 % of rank, so a KS distance below about 0.01 is within the reference's
    /// own error.
    /// </summary>
    public double Cdf(double x)
    {
        if (x < _cdf[0].X) return 0;
        if (x >= _cdf[^1].X) return 1;
        for (var i = 1; i < _cdf.Length; i++)
        {
            var (x1, p1) = _cdf[i];
            if (x > x1) continue;
            var (x0, p0) = _cdf[i - 1];
            return x1 == x0 ? p1 : p0 + (p1 - p0) * (x - x0) / (x1 - x0);
        }
        return 1;
    }

    /// <summary>PSI over the buckets and Kolmogorov–Smirnov over the present values.</summary>
    public DriftMeasure Measure(string column, IReadOnlyList<double?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var counts = new long[_shares.Length];
        var present = new List<double>(values.Count);
        foreach (var value in values)
        {
            if (value is not { } v || double.IsNaN(v))
            {
                counts[^1]++;
                continue;
            }
            present.Add(v);
            var bucket = Array.BinarySearch(_edges, v);
            counts[bucket >= 0 ? bucket : ~bucket]++;
        }
        var psi = DriftStatistics.PopulationStabilityIndex(_shares, counts);
        var (ks, p) = DriftStatistics.KolmogorovSmirnov(present, Cdf);
        return new DriftMeasure(column, "numeric", values.Count, psi, ks, p, double.NaN, double.NaN);
    }
}

/// <summary>A categorical column: one bucket per frequent value, one for every other value, one for missing.</summary>
public sealed class CategoricalReference : ReferenceDistribution
{
    private readonly Dictionary<string, int> _buckets = new(StringComparer.Ordinal);
    private readonly double[] _shares;

    public CategoricalReference(IEnumerable<ValueCount> values, double missingShare)
    {
        ArgumentNullException.ThrowIfNull(values);
        var present = 1 - missingShare;
        var shares = new List<double>();
        foreach (var value in values)
        {
            if (!_buckets.TryAdd(value.Value, shares.Count)) continue;
            shares.Add(value.Share * present);
        }
        // Shares of present values: what the frequent values leave is every other value's.
        shares.Add(Math.Max(0, present - shares.Sum()));
        shares.Add(missingShare);
        _shares = [.. shares];
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> ExpectedShares => _shares;

    /// <summary>PSI and chi-square over the buckets.</summary>
    public DriftMeasure Measure(string column, IReadOnlyList<string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var counts = new long[_shares.Length];
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value)) counts[^1]++;
            else if (_buckets.TryGetValue(value, out var bucket)) counts[bucket]++;
            else counts[^2]++;
        }
        var psi = DriftStatistics.PopulationStabilityIndex(_shares, counts);
        var (chi, p) = DriftStatistics.ChiSquare(_shares, counts);
        return new DriftMeasure(column, "categorical", values.Count, psi, double.NaN, double.NaN, chi, p);
    }
}
