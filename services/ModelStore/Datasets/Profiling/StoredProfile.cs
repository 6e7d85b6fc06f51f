namespace Platform.ModelStore.Datasets.Profiling;

// The profile as stored (JSON, one row per data set version). It holds facts only; warnings and the label's
// analysis are derived from it when asked (ProfileReport), so their wording can improve without a re-scan.

/// <summary>A data set's profile: its row count and every column's summary, in file order.</summary>
public sealed record StoredProfile(long RowCount, IReadOnlyList<StoredColumnProfile> Columns)
{
    /// <summary>
    /// How each column alone predicts a label, by label: measured the first time a profile is asked for with that label
    /// (<see cref="LabelAnalysisScan"/>) and kept here so the file is read once per label.
    /// </summary>
    public IReadOnlyDictionary<string, StoredLabelAnalysis>? LabelAnalyses { get; init; }
}

/// <summary>One column's summary.</summary>
public sealed record StoredColumnProfile
{
    public required string Name { get; init; }
    public DatasetColumnType Type { get; init; }
    public long MissingCount { get; init; }
    public long DistinctCount { get; init; }
    /// <summary>False when <see cref="DistinctCount"/> is a HyperLogLog estimate (more than 10,000 distinct values).</summary>
    public bool DistinctExact { get; init; }
    public NumericStats? Numeric { get; init; }
    /// <summary>Up to 10 most frequent values.</summary>
    public IReadOnlyList<ValueCountEntry> TopValues { get; init; } = [];
    public bool TopValuesExact { get; init; }
    /// <summary>Every distinct value with its exact count, when there are at most 1,000 (null otherwise).</summary>
    public IReadOnlyList<ValueCountEntry>? ValueCounts { get; init; }
    public string? MinDate { get; init; }
    public string? MaxDate { get; init; }
    /// <summary>Mean length in characters of the non-missing values (text sources; 0 for typed Parquet columns).</summary>
    public double MeanLength { get; init; }
}

/// <summary>Summary of a numeric column's non-missing, finite values (<see cref="ZeroCount"/>: 0 in profiles stored before it was counted).</summary>
public sealed record NumericStats(
    double Min, double Max, double Mean, double Std,
    double P5, double P25, double P50, double P75, double P95,
    bool QuantilesExact, long OutlierCount, double OutlierLow, double OutlierHigh,
    bool Integral,
    long ZeroCount = 0);

/// <summary>A value and how many rows hold it.</summary>
public sealed record ValueCountEntry(string Value, long Count);
