using System.Numerics;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>
/// Estimates how many distinct values a column has, in 16 KiB whatever the count: HyperLogLog with 2^14 registers
/// (standard error about 0.8%; linear counting, within about 1.5%, below 65,536 values). Callers hash values with
/// <see cref="Hash(ReadOnlySpan{char})"/> or <see cref="Hash(double)"/>, which are stable across processes.
/// </summary>
public sealed class DistinctCounter
{
    private const int Precision = 14;
    private const int Registers = 1 << Precision;
    private readonly byte[] _registers = new byte[Registers];

    /// <summary>Adds a value by its 64-bit hash.</summary>
    public void Add(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = (hash << Precision) | (1UL << (Precision - 1));
        var rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        if (rank > _registers[index]) _registers[index] = rank;
    }

    /// <summary>The estimated number of distinct values added.</summary>
    public long Estimate()
    {
        double sum = 0;
        var zeros = 0;
        foreach (var register in _registers)
        {
            sum += Math.Pow(2, -register);
            if (register == 0) zeros++;
        }
        const double alpha = 0.7213 / (1 + 1.079 / Registers);
        var estimate = alpha * Registers * Registers / sum;
        // Linear counting below 4 m: the raw estimate is biased upwards there (by about 3% near 2.5 m), while linear
        // counting stays within about 1.5%.
        if (estimate <= 4 * Registers && zeros > 0)
            estimate = Registers * Math.Log((double)Registers / zeros);
        return (long)Math.Round(estimate);
    }

    /// <summary>FNV-1a over the characters, then a 64-bit finaliser (stable across processes, unlike string.GetHashCode).</summary>
    public static ulong Hash(ReadOnlySpan<char> value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return Mix(hash);
    }

    /// <summary>A number's hash (0 and -0 are one value).</summary>
    public static ulong Hash(double value) => Mix((ulong)BitConverter.DoubleToInt64Bits(value == 0 ? 0 : value) ^ 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        // SplitMix64's finaliser: spreads every input bit over the whole word.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
