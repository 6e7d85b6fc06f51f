using System.Runtime.InteropServices;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>
/// Counts each distinct value, exactly while there are at most its capacity of them (at most <see cref="Capacity"/>)
/// and, when the keys are weighed, while their weight stays within its own limit. Past that it keeps
/// going in bounded memory: it drops the less frequent half of what it holds, so the most frequent values survive
/// (their counts then become lower bounds, and <see cref="IsExact"/> turns false). A value that is frequent
/// anywhere in the file is kept unless it only reaches its frequency after more than half the table's worth of
/// rarer values passed by: good enough for "top values" of a column with millions of distinct values.
/// </summary>
public sealed class ValueCounter<TKey> where TKey : notnull
{
    /// <summary>Most distinct values any counter holds.</summary>
    public const int Capacity = 10_000;

    private readonly Dictionary<TKey, long> _counts;
    private readonly int _capacity;
    private readonly Func<TKey, int>? _weigh;
    private readonly long _maxWeight;
    private long _weight;

    /// <summary>Creates an empty counter.</summary>
    /// <param name="comparer">Key equality.</param>
    /// <param name="capacity">Most distinct values held (at most <see cref="Capacity"/>).</param>
    /// <param name="weigh">The memory a key holds (for example its characters), or null to count keys only.</param>
    /// <param name="maxWeight">Most weight held at once, with <paramref name="weigh"/>.</param>
    public ValueCounter(IEqualityComparer<TKey>? comparer = null, int capacity = Capacity, Func<TKey, int>? weigh = null, long maxWeight = long.MaxValue)
    {
        _counts = new Dictionary<TKey, long>(comparer);
        _capacity = Math.Min(capacity, Capacity);
        _weigh = weigh;
        _maxWeight = maxWeight;
    }

    /// <summary>
    /// Called once, with every distinct value seen so far, just before the counter first drops some (so a distinct-count
    /// estimator started then has seen everything).
    /// </summary>
    public Action<IEnumerable<TKey>>? BeforeFirstPrune { get; init; }

    /// <summary>True while every value seen is held with its exact count.</summary>
    public bool IsExact { get; private set; } = true;

    /// <summary>The values held and their counts.</summary>
    public IReadOnlyDictionary<TKey, long> Counts => _counts;

    /// <summary>The underlying table, for allocation-free lookups by an alternate key.</summary>
    internal Dictionary<TKey, long> Table => _counts;

    /// <summary>Counts one occurrence.</summary>
    public void Add(TKey value)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, value, out var existed);
        count++;
        if (!existed) AfterInsert(_weigh?.Invoke(value) ?? 0);
    }

    /// <summary>Called after a new key went in by any route: prunes the table when it is over capacity or weight.</summary>
    internal void AfterInsert(long weight)
    {
        _weight += weight;
        if (_counts.Count <= _capacity && _weight <= _maxWeight) return;
        if (IsExact) BeforeFirstPrune?.Invoke(_counts.Keys);
        IsExact = false;
        // The most frequent half survive, within half the weight, so pruning happens rarely.
        var keep = new List<KeyValuePair<TKey, long>>(_capacity / 2);
        long kept = 0;
        foreach (var entry in _counts.OrderByDescending(p => p.Value))
        {
            var entryWeight = _weigh?.Invoke(entry.Key) ?? 0;
            if (keep.Count == _capacity / 2 || kept + entryWeight > _maxWeight / 2) break;
            keep.Add(entry);
            kept += entryWeight;
        }
        _counts.Clear();
        _counts.TrimExcess(_capacity);
        foreach (var (k, count) in keep) _counts[k] = count;
        _weight = kept;
    }

    /// <summary>The most frequent values, most frequent first (ties in key order for a stable answer).</summary>
    public IReadOnlyList<KeyValuePair<TKey, long>> Top(int count, IComparer<TKey> keyOrder) =>
        _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, keyOrder).Take(count).ToList();
}
