namespace Platform.Training.Evaluation;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny generator whose output is fixed by its definition, so
/// splits and permutations drawn from a seed are the same on every machine and every .NET release
/// (<see cref="Random"/> makes no such promise across releases).
/// </summary>
public sealed class SeededRandom(int seed)
{
    private ulong _state = unchecked((ulong)(uint)seed);

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform number in [0, 1), from the top 53 bits of <see cref="Next"/>.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire, 2019).</summary>
    public int NextBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var n = (ulong)bound;
        var product = (UInt128)Next() * n;
        if ((ulong)product < n)
        {
            var threshold = (0 - n) % n;
            while ((ulong)product < threshold) product = (UInt128)Next() * n;
        }
        return (int)(product >> 64);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = NextBelow(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
