namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>
/// How much one column's summaries may hold, from the memory an upload's profile may use
/// (<c>ModelStore:Datasets:ProfileMemoryBytes</c>) shared equally among its columns: so an upload's profiling memory
/// stays under that limit whatever its columns, rows and values (docs/datasets.md, "Limits"). A column's share B
/// goes a quarter to the number counter, three eighths to the text counter (weighed by the characters it holds), a
/// quarter to the quantile sketch and an eighth to the two distinct-count estimators; each is capped at what one
/// column of a narrow data set gets, so narrow data sets are profiled as exactly as before and only wide ones trade
/// exactness (more top values approximate, quantiles within a wider rank error) for memory.
/// </summary>
public sealed record ProfileBudget
{
    /// <summary>The hard ceiling of <c>ModelStore:Datasets:MaxColumns</c>: no configuration accepts wider data sets.</summary>
    public const int ColumnsCeiling = 10_000;

    /// <summary>The smallest share one column may get; <c>ProfileMemoryBytes</c> must give every column at least this.</summary>
    public const long MinBytesPerColumn = 4 * 1024;

    /// <summary>Estimated bytes one text counter entry holds besides its characters (string and table overhead).</summary>
    public const int TextEntryOverhead = 64;

    private const int NumberEntryBytes = 40;
    private const int QuantileBytesPerCapacity = 48; // about 3 × capacity doubles held, lists up to twice their count

    /// <summary>One column's share of an upload's profiling memory.</summary>
    public long BytesPerColumn { get; private init; }

    /// <summary>Distinct numbers counted exactly before the counter keeps only the frequent ones.</summary>
    public int NumberCounterCapacity { get; private init; }

    /// <summary>Distinct texts counted exactly, and the weight (characters plus overhead) they may hold together.</summary>
    public int TextCounterCapacity { get; private init; }

    /// <inheritdoc cref="TextCounterCapacity"/>
    public long TextCounterWeight { get; private init; }

    /// <summary>Values the quantile sketch holds exactly before it compacts (<see cref="QuantileSketch"/>).</summary>
    public int QuantileCapacity { get; private init; }

    /// <summary>HyperLogLog precision of the distinct-count estimators: 2^p registers (<see cref="DistinctCounter"/>).</summary>
    public int DistinctPrecision { get; private init; }

    /// <summary>What one column of a narrow data set gets: every summary at its full size.</summary>
    public static ProfileBudget Full { get; } = For(long.MaxValue / 2, 1);

    /// <summary>Each column's budget when <paramref name="columns"/> share <paramref name="memoryBytes"/>.</summary>
    public static ProfileBudget For(long memoryBytes, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        var share = Math.Max(MinBytesPerColumn, memoryBytes / columns);
        return new ProfileBudget
        {
            BytesPerColumn = share,
            NumberCounterCapacity = (int)Math.Clamp(share / 4 / NumberEntryBytes, 16, ValueCounter<double>.Capacity),
            TextCounterCapacity = (int)Math.Clamp(share * 3 / 8 / TextEntryOverhead, 16, ValueCounter<string>.Capacity),
            TextCounterWeight = share * 3 / 8,
            QuantileCapacity = (int)Math.Clamp(share / 4 / QuantileBytesPerCapacity, 16, QuantileSketch.ExactCapacity),
            DistinctPrecision = Math.Clamp((int)Math.Floor(Math.Log2(share / 8.0 / 2)), DistinctCounter.MinPrecision, DistinctCounter.MaxPrecision),
        };
    }
}
