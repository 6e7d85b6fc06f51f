using System.Runtime.InteropServices;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>
/// Counts each distinct value, exactly while there are at most <see cref="Capacity"/> of them. Past that it keeps
/// going in bounded memory: it drops the less frequent half of what it holds, so the most frequent values survive
/// (their counts then become lower bounds, and <see cref="IsExact"/> turns false). A value that is frequent
/// anywhere in the file is kept unless it only reaches its frequency after more than half the table's worth of
/// rarer values passed by: good enough for "top values" of a column with millions of distinct values.
/// </summary>
public sealed class ValueCounter<TKey> where TKey : notnull
{
    /// <summary>Most distinct values held.</summary>
    public const int Capacity = 10_000;

    private readonly Dictionary<TKey, long> _counts;

    /// <summary>Creates an empty counter.</summary>
    public ValueCounter(IEqualityComparer<TKey>? comparer = null) => _counts = new Dictionary<TKey, long>(comparer);

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
        if (!existed) AfterInsert();
    }

    /// <summary>Called after a new key went in by any route: prunes the table when it is over capacity.</summary>
    internal void AfterInsert()
    {
        if (_counts.Count <= Capacity) return;
        IsExact = false;
        var keep = _counts.OrderByDescending(p => p.Value).Take(Capacity / 2).ToList();
        _counts.Clear();
        foreach (var (key, count) in keep) _counts[key] = count;
    }

    /// <summary>The most frequent values, most frequent first (ties in key order for a stable answer).</summary>
    public IReadOnlyList<KeyValuePair<TKey, long>> Top(int count, IComparer<TKey> keyOrder) =>
        _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, keyOrder).Take(count).ToList();
}
