namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>
/// Quantiles of a stream of numbers in bounded memory: a KLL sketch (Karnin, Lang and Liberty, 2016). Until its
/// capacity (at most <see cref="ExactCapacity"/>) values have been seen it holds them all and answers exactly (quantiles by linear
/// interpolation between order statistics, as numpy's default); after that it keeps about 3 × that many values in
/// levels of compactors, each value standing for 2^level inputs, and a quantile's rank is off by under 0.5%
/// of the count. The compactors choose which half to keep with a fixed-seed generator, so the same input always
/// gives the same answer.
/// </summary>
public sealed class QuantileSketch
{
    /// <summary>Values held exactly before the first compaction (also the top level's capacity), at most.</summary>
    public const int ExactCapacity = 8192;

    /// <summary>A sketch that holds up to <paramref name="capacity"/> values exactly (a column's share of the profile's memory).</summary>
    public QuantileSketch(int capacity = ExactCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, MinimumLevelCapacity);
        _capacity = capacity;
        _heldLimit = capacity;
    }

    private readonly int _capacity;

    private const double LevelShrink = 2.0 / 3.0;
    private const int MinimumLevelCapacity = 8;

    private readonly List<List<double>> _levels = [new()];
    private readonly Random _coin = new(20261127);
    private int _held;
    private int _heldLimit;

    /// <summary>Values seen.</summary>
    public long Count { get; private set; }

    /// <summary>Every value seen is still held, so answers are exact.</summary>
    public bool IsExact => _levels.Count == 1;

    /// <summary>Adds a value (not NaN).</summary>
    public void Add(double value)
    {
        _levels[0].Add(value);
        _held++;
        Count++;
        if (_held >= _heldLimit) Compress();
    }

    private int Capacity(int level)
    {
        var depth = _levels.Count - level - 1;
        return Math.Max(MinimumLevelCapacity, (int)Math.Ceiling(_capacity * Math.Pow(LevelShrink, depth)));
    }

    private void Compress()
    {
        for (var level = 0; level < _levels.Count; level++)
        {
            var items = _levels[level];
            if (items.Count < Capacity(level)) continue;
            if (level + 1 == _levels.Count)
            {
                _levels.Add([]);
                _heldLimit = Enumerable.Range(0, _levels.Count).Sum(Capacity);
            }
            var next = _levels[level + 1];
            items.Sort();
            // Keep every other value (odd or even positions, by the coin), each now worth twice as much; an odd
            // one out stays at this level.
            var pairs = items.Count / 2;
            var offset = _coin.Next(2);
            for (var i = 0; i < pairs; i++) next.Add(items[2 * i + offset]);
            var leftover = items.Count % 2 == 1 ? items[^1] : double.NaN;
            items.Clear();
            if (!double.IsNaN(leftover)) items.Add(leftover);
            _held = _levels.Sum(l => l.Count);
            if (_held < _heldLimit) return;
        }
    }

    /// <summary>The values held, sorted, with their weights: the sketch's picture of the distribution.</summary>
    private (double[] Values, long[] Weights) Sorted()
    {
        var values = new double[_held];
        var weights = new long[_held];
        var n = 0;
        for (var level = 0; level < _levels.Count; level++)
        {
            foreach (var value in _levels[level])
            {
                values[n] = value;
                weights[n++] = 1L << level;
            }
        }
        Array.Sort(values, weights);
        return (values, weights);
    }

    /// <summary>The q-quantiles (each 0 to 1), in the order asked; NaN when no value was added.</summary>
    public double[] Quantiles(params double[] qs)
    {
        ArgumentNullException.ThrowIfNull(qs);
        var result = new double[qs.Length];
        if (Count == 0)
        {
            Array.Fill(result, double.NaN);
            return result;
        }
        var (values, weights) = Sorted();
        if (IsExact)
        {
            for (var i = 0; i < qs.Length; i++)
            {
                var position = qs[i] * (values.Length - 1);
                var below = (int)Math.Floor(position);
                var above = Math.Min(below + 1, values.Length - 1);
                result[i] = values[below] + (position - below) * (values[above] - values[below]);
            }
            return result;
        }
        long total = 0;
        foreach (var w in weights) total += w;
        for (var i = 0; i < qs.Length; i++)
        {
            var target = qs[i] * total;
            long cumulative = 0;
            result[i] = values[^1];
            for (var j = 0; j < values.Length; j++)
            {
                cumulative += weights[j];
                if (cumulative >= target)
                {
                    result[i] = values[j];
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>How many values fall below <paramref name="low"/> or above <paramref name="high"/> (exact while <see cref="IsExact"/>).</summary>
    public long CountOutside(double low, double high)
    {
        long count = 0;
        for (var level = 0; level < _levels.Count; level++)
        {
            foreach (var value in _levels[level])
            {
                if (value < low || value > high) count += 1L << level;
            }
        }
        return count;
    }
}
