using System.Globalization;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>Where a column's values come from, which decides how its type is found.</summary>
public enum ColumnSource
{
    /// <summary>CSV/TSV text: the type is inferred from the values.</summary>
    Text,
    /// <summary>A Parquet string column: categorical or text (by the text rule) unless overridden.</summary>
    ParquetString,
    /// <summary>A Parquet integer, floating-point or decimal column.</summary>
    ParquetNumber,
    /// <summary>A Parquet boolean column.</summary>
    ParquetBoolean,
    /// <summary>A Parquet date or timestamp column.</summary>
    ParquetDate,
}

/// <summary>
/// Everything the profile needs to know about one column, gathered value by value in one pass and bounded memory:
/// type evidence (with the first value that rules each type out, for error messages), missing count, exact counts of
/// up to 10,000 distinct values (<see cref="ValueCounter{TKey}"/>) and a HyperLogLog estimate beyond, running mean and
/// variance (Welford), min and max, quantiles (<see cref="QuantileSketch"/>), value lengths and date range; all of it
/// within the column's share of the upload's profiling memory (<see cref="ProfileBudget"/>).
/// </summary>
/// <remarks>
/// Type inference for text sources: NUMERIC when every non-missing value parses as a number; else BOOLEAN when every
/// one is true/false; else DATE when every one is an ISO 8601 date or date-time; else TEXT when the values look like
/// free text: mean length at least <see cref="TextMinMeanLength"/> characters, at least half of them contain
/// whitespace, and at least half of them are distinct; else CATEGORICAL.
/// </remarks>
public sealed class ColumnProfiler : IColumnObserver
{
    /// <summary>Shortest mean value length, in characters, for a column to be free text.</summary>
    public const int TextMinMeanLength = 20;

    /// <summary>Most distinct values whose full counts are stored (for the label's class distribution).</summary>
    public const int StoredValueCountsLimit = 1000;

    /// <summary>Top values stored and reported.</summary>
    public const int TopValueCount = 10;

    // Longer values are no number, boolean or date anyone writes: only this much is parsed.
    private const int MaxTypedValueLength = 128;
    // Values longer than this are counted by a prefix plus a hash of what was read, to keep the counter's memory down.
    private const int MaxCountedKeyLength = 200;
    private const int MaxQuotedValueLength = 60;

    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    private readonly ColumnSource _source;
    private long _rows;
    private long _missing;

    private bool _allNumeric = true;
    private bool _allBoolean = true;
    private bool _allDate = true;
    private Offender? _notNumeric;
    private Offender? _notBoolean;
    private Offender? _notDate;

    private long _numberCount;
    private long _zeros;
    private double _mean;
    private double _m2;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;
    private bool _integral = true;
    private QuantileSketch? _sketch;
    private ValueCounter<double>? _numbers;
    private DistinctCounter? _numberDistinct;

    private readonly ValueCounter<string>? _texts;
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _textLookup;
    // Distinct-count estimators, started only when their exact counter first drops values (most columns never do).
    private DistinctCounter? _textDistinct;
    private readonly ProfileBudget _budget;
    private long _totalLength;
    private long _withWhitespace;

    private long _minTicks = long.MaxValue;
    private long _maxTicks = long.MinValue;
    private bool _dateHasTime;

    private readonly record struct Offender(long Row, long? Line, string Value);

    /// <summary>Starts a column with every summary at its full size (one column of a narrow data set).</summary>
    public ColumnProfiler(string name, ColumnSource source) : this(name, source, ProfileBudget.Full)
    {
    }

    /// <summary>Starts a column whose summaries stay within <paramref name="budget"/>.</summary>
    public ColumnProfiler(string name, ColumnSource source, ProfileBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        Name = name;
        _source = source;
        _budget = budget;
        if (source is ColumnSource.Text or ColumnSource.ParquetString or ColumnSource.ParquetBoolean)
        {
            _texts = new ValueCounter<string>(StringComparer.Ordinal, budget.TextCounterCapacity,
                key => ProfileBudget.TextEntryOverhead + 2 * key.Length, budget.TextCounterWeight)
            {
                BeforeFirstPrune = keys => _textDistinct = Estimator(keys, key => DistinctCounter.Hash(key)),
            };
            _textLookup = _texts.Table.GetAlternateLookup<ReadOnlySpan<char>>();
        }
        if (source is ColumnSource.Text or ColumnSource.ParquetNumber or ColumnSource.ParquetDate)
        {
            _numbers = new ValueCounter<double>(capacity: budget.NumberCounterCapacity)
            {
                BeforeFirstPrune = keys => _numberDistinct = Estimator(keys, DistinctCounter.Hash),
            };
        }
        if (source is ColumnSource.Text or ColumnSource.ParquetString or ColumnSource.ParquetNumber)
            _sketch = new QuantileSketch(budget.QuantileCapacity);
    }

    /// <summary>A distinct-count estimator that has seen <paramref name="keys"/>: every distinct value so far.</summary>
    private DistinctCounter Estimator<T>(IEnumerable<T> keys, Func<T, ulong> hash)
    {
        var estimator = new DistinctCounter(_budget.DistinctPrecision);
        foreach (var key in keys) estimator.Add(hash(key));
        return estimator;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>Rows seen so far (missing ones included).</summary>
    public long Rows => _rows;

    /// <summary>A missing value (empty field, Parquet null).</summary>
    public void ObserveMissing()
    {
        _rows++;
        _missing++;
    }

    /// <summary>A value read as text (CSV, TSV, Parquet strings and booleans). Empty means missing.</summary>
    /// <param name="value">The value, or its first characters when <paramref name="truncated"/>.</param>
    /// <param name="truncated">The value is longer than what was kept.</param>
    /// <param name="length">The value's full length in characters.</param>
    /// <param name="line">The file line of the record (CSV, TSV), for error messages.</param>
    public void Observe(ReadOnlySpan<char> value, bool truncated, long length, long? line)
    {
        if (value.IsEmpty && !truncated)
        {
            ObserveMissing();
            return;
        }
        _rows++;
        _totalLength += length;
        if (value.IndexOfAny(' ', '\t', '\n') >= 0 || value.Contains('\r')) _withWhitespace++;
        CountText(value, truncated);

        var typed = !truncated && value.Length <= MaxTypedValueLength;
        if (_allNumeric)
        {
            if (typed && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                AddNumber(number);
            }
            else
            {
                _allNumeric = false;
                _notNumeric = new Offender(_rows, line, Quote(value, truncated));
                _sketch = null;
                _numbers = null;
                _numberDistinct = null;
            }
        }
        if (_allBoolean)
        {
            var trimmed = value.Trim();
            if (!typed || !(trimmed.Equals("true", StringComparison.OrdinalIgnoreCase)
                            || trimmed.Equals("false", StringComparison.OrdinalIgnoreCase)))
            {
                _allBoolean = false;
                _notBoolean = new Offender(_rows, line, Quote(value, truncated));
            }
        }
        if (_allDate)
        {
            if (typed && TryParseDate(value, out var date, out var hasTime))
            {
                AddDate(date.UtcTicks, hasTime);
            }
            else
            {
                _allDate = false;
                _notDate = new Offender(_rows, line, Quote(value, truncated));
            }
        }
    }

    /// <summary>A Parquet number.</summary>
    public void ObserveNumber(double value)
    {
        _rows++;
        AddNumber(value);
    }

    /// <summary>A Parquet date or timestamp (UTC).</summary>
    public void ObserveDate(DateTime value)
    {
        _rows++;
        AddDate(value.Ticks, value.TimeOfDay != TimeSpan.Zero);
        var ticks = (double)value.Ticks;
        _numbers?.Add(ticks);
        _numberDistinct?.Add(DistinctCounter.Hash(ticks));
    }

    private void AddNumber(double value)
    {
        if (_source == ColumnSource.Text || _source == ColumnSource.ParquetNumber)
        {
            _numbers?.Add(value);
            _numberDistinct?.Add(DistinctCounter.Hash(value));
        }
        // NaN and infinities count as numbers (the trainer reads them as such) but stay out of the statistics.
        if (!double.IsFinite(value)) return;
        _numberCount++;
        if (value == 0) _zeros++;
        var delta = value - _mean;
        _mean += delta / _numberCount;
        _m2 += delta * (value - _mean);
        if (value < _min) _min = value;
        if (value > _max) _max = value;
        if (_integral && value != Math.Floor(value)) _integral = false;
        _sketch?.Add(value);
    }

    private void AddDate(long ticks, bool hasTime)
    {
        if (ticks < _minTicks) _minTicks = ticks;
        if (ticks > _maxTicks) _maxTicks = ticks;
        _dateHasTime |= hasTime;
    }

    private void CountText(ReadOnlySpan<char> value, bool truncated)
    {
        if (_texts is null) return;
        Span<char> buffer = stackalloc char[MaxCountedKeyLength];
        scoped ReadOnlySpan<char> key = value;
        if (truncated || value.Length > MaxCountedKeyLength)
        {
            // A prefix to show plus a hash of everything read, so long values that only differ late stay apart.
            var hash = DistinctCounter.Hash(value).ToString("x16", CultureInfo.InvariantCulture);
            var prefix = MaxCountedKeyLength - hash.Length - 2;
            value[..prefix].CopyTo(buffer);
            buffer[prefix] = '…';
            buffer[prefix + 1] = '#';
            hash.AsSpan().CopyTo(buffer[(prefix + 2)..]);
            key = buffer;
        }
        _textDistinct?.Add(DistinctCounter.Hash(key));
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_textLookup, key, out var existed);
        count++;
        if (!existed) _texts.AfterInsert(ProfileBudget.TextEntryOverhead + 2 * key.Length);
    }

    private static bool TryParseDate(ReadOnlySpan<char> value, out DateTimeOffset date, out bool hasTime)
    {
        date = default;
        hasTime = value.Length > 10;
        // A cheap check first: numbers and words fail here, without a parse attempt.
        if (value.Length < 10 || value[4] != '-' || value[7] != '-' || !char.IsAsciiDigit(value[0])) return false;
        return DateTimeOffset.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);
    }

    private static string Quote(ReadOnlySpan<char> value, bool truncated) =>
        value.Length > MaxQuotedValueLength || truncated ? $"{value[..Math.Min(value.Length, MaxQuotedValueLength)]}…" : value.ToString();

    /// <summary>The type the values show, before any override.</summary>
    public DatasetColumnType InferredType => _source switch
    {
        ColumnSource.ParquetNumber => DatasetColumnType.Numeric,
        ColumnSource.ParquetBoolean => DatasetColumnType.Boolean,
        ColumnSource.ParquetDate => DatasetColumnType.Date,
        ColumnSource.ParquetString => LooksLikeText ? DatasetColumnType.Text : DatasetColumnType.Categorical,
        _ when _allNumeric => DatasetColumnType.Numeric,
        _ when _allBoolean => DatasetColumnType.Boolean,
        _ when _allDate => DatasetColumnType.Date,
        _ when LooksLikeText => DatasetColumnType.Text,
        _ => DatasetColumnType.Categorical,
    };

    private long NonMissing => _rows - _missing;

    private bool LooksLikeText
    {
        get
        {
            var n = NonMissing;
            if (n == 0 || _texts is null) return false;
            return (double)_totalLength / n >= TextMinMeanLength
                   && _withWhitespace * 2 >= n
                   && TextDistinct().Count * 2 >= n;
        }
    }

    private (long Count, bool Exact) TextDistinct() =>
        _texts!.IsExact ? (_texts.Counts.Count, true) : (_textDistinct!.Estimate(), false);

    private (long Count, bool Exact) NumberDistinct() =>
        _numbers!.IsExact ? (_numbers.Counts.Count, true) : (_numberDistinct!.Estimate(), false);

    /// <summary>
    /// Ends the column: its type (the override when given, after checking every value fits it) and its profile.
    /// </summary>
    /// <exception cref="DatasetFormatException">The override contradicts a value, or the column's Parquet type cannot take it.</exception>
    public (DatasetColumn Column, StoredColumnProfile Profile) Complete(DatasetColumnType? typeOverride)
    {
        var type = typeOverride ?? InferredType;
        if (typeOverride is { } wanted) CheckOverride(wanted);

        var profile = new StoredColumnProfile { Name = Name, Type = type, MissingCount = _missing };
        profile = type switch
        {
            DatasetColumnType.Numeric => WithNumbers(profile),
            DatasetColumnType.Date => WithDates(profile),
            _ => WithValues(profile),
        };
        return (new DatasetColumn(Name, type, _missing), profile);
    }

    private void CheckOverride(DatasetColumnType wanted)
    {
        var fits = (wanted, _source) switch
        {
            (DatasetColumnType.Categorical or DatasetColumnType.Text, _) => true,
            (DatasetColumnType.Numeric, ColumnSource.ParquetNumber) => true,
            (DatasetColumnType.Boolean, ColumnSource.ParquetBoolean) => true,
            (DatasetColumnType.Date, ColumnSource.ParquetDate) => true,
            (_, ColumnSource.Text or ColumnSource.ParquetString) => false,
            _ => throw new DatasetFormatException(
                $"column {Echo.Quote(Name)}: column_types sets it to {Upper(wanted)}, but it is a Parquet {SourceName(_source)} column " +
                "(a typed Parquet column can only be set to CATEGORICAL or TEXT)", row: null, line: null),
        };
        if (fits) return;
        var (offender, rule) = wanted switch
        {
            DatasetColumnType.Numeric => (_notNumeric, "is not a number"),
            DatasetColumnType.Boolean => (_notBoolean, "is not true or false"),
            _ => (_notDate, "is not an ISO 8601 date or date-time (yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss with an optional zone)"),
        };
        if (offender is not { } o) return;
        var where = o.Line is { } line ? $"row {o.Row} (line {line})" : $"row {o.Row}";
        throw new DatasetFormatException(
            $"{where}, column {Echo.Quote(Name)}: {Echo.Quote(o.Value)} {rule}, but column_types sets the column to {Upper(wanted)}",
            row: o.Row, line: o.Line);
    }

    private static string Upper(DatasetColumnType type) => type.ToString().ToUpperInvariant();

    private static string SourceName(ColumnSource source) => source switch
    {
        ColumnSource.ParquetNumber => "number",
        ColumnSource.ParquetBoolean => "boolean",
        ColumnSource.ParquetDate => "date/timestamp",
        _ => "string",
    };

    private StoredColumnProfile WithNumbers(StoredColumnProfile profile)
    {
        var (distinct, exact) = _numbers is not null ? NumberDistinct() : TextDistinct();
        profile = profile with
        {
            DistinctCount = distinct,
            DistinctExact = exact,
            ValueCounts = _texts is { IsExact: true } t && t.Counts.Count <= StoredValueCountsLimit
                ? AllValues(t)
                : _numbers is { IsExact: true } n && n.Counts.Count <= StoredValueCountsLimit ? AllNumbers(n) : null,
            MeanLength = MeanLength(),
        };
        if (_numberCount == 0 || _sketch is null) return profile;

        var q = _sketch.Quantiles(0.05, 0.25, 0.5, 0.75, 0.95);
        var iqr = q[3] - q[1];
        var low = q[1] - 1.5 * iqr;
        var high = q[3] + 1.5 * iqr;
        var std = _numberCount > 1 ? Math.Sqrt(_m2 / (_numberCount - 1)) : 0;
        return profile with
        {
            Numeric = new NumericStats(_min, _max, _mean, std, q[0], q[1], q[2], q[3], q[4],
                _sketch.IsExact, _sketch.CountOutside(low, high), low, high, _integral, _zeros),
        };
    }

    private StoredColumnProfile WithDates(StoredColumnProfile profile)
    {
        var (distinct, exact) = _texts is not null ? TextDistinct() : NumberDistinct();
        if (_minTicks > _maxTicks) return profile with { DistinctCount = distinct, DistinctExact = exact };
        var format = _dateHasTime ? "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ" : "yyyy-MM-dd";
        return profile with
        {
            DistinctCount = distinct,
            DistinctExact = exact,
            MinDate = new DateTime(_minTicks, DateTimeKind.Utc).ToString(format, CultureInfo.InvariantCulture),
            MaxDate = new DateTime(_maxTicks, DateTimeKind.Utc).ToString(format, CultureInfo.InvariantCulture),
            MeanLength = MeanLength(),
        };
    }

    private StoredColumnProfile WithValues(StoredColumnProfile profile)
    {
        if (_texts is not null)
        {
            var (distinct, exact) = TextDistinct();
            return profile with
            {
                DistinctCount = distinct,
                DistinctExact = exact,
                TopValues = _texts.Top(TopValueCount, StringComparer.Ordinal).Select(p => new ValueCountEntry(p.Key, p.Value)).ToList(),
                TopValuesExact = _texts.IsExact,
                ValueCounts = _texts.IsExact && _texts.Counts.Count <= StoredValueCountsLimit ? AllValues(_texts) : null,
                MeanLength = MeanLength(),
            };
        }
        // A typed Parquet column (number, date) set to categorical or text: its values, formatted.
        var (count, isExact) = NumberDistinct();
        return profile with
        {
            DistinctCount = count,
            DistinctExact = isExact,
            TopValues = _numbers!.Top(TopValueCount, Comparer<double>.Default).Select(p => new ValueCountEntry(FormatNumber(p.Key), p.Value)).ToList(),
            TopValuesExact = _numbers.IsExact,
            ValueCounts = _numbers.IsExact && _numbers.Counts.Count <= StoredValueCountsLimit ? AllNumbers(_numbers) : null,
        };
    }

    private string FormatNumber(double value) => _source == ColumnSource.ParquetDate
        ? new DateTime((long)value, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)
        : value.ToString("R", CultureInfo.InvariantCulture);

    private double MeanLength() => NonMissing > 0 && _totalLength > 0 ? (double)_totalLength / NonMissing : 0;

    private static List<ValueCountEntry> AllValues(ValueCounter<string> counter) =>
        counter.Top(int.MaxValue, StringComparer.Ordinal).Select(p => new ValueCountEntry(p.Key, p.Value)).ToList();

    private List<ValueCountEntry> AllNumbers(ValueCounter<double> counter) =>
        counter.Top(int.MaxValue, Comparer<double>.Default).Select(p => new ValueCountEntry(FormatNumber(p.Key), p.Value)).ToList();
}
