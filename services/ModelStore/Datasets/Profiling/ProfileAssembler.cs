using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>What every scanner does once its columns are read: applies the overrides and builds the result.</summary>
internal static class ProfileAssembler
{
    /// <summary>Every override must name a column of the file.</summary>
    /// <exception cref="InvalidArgumentException">One names no column.</exception>
    public static void CheckOverrideNames(IEnumerable<string> columnNames, IReadOnlyDictionary<string, DatasetColumnType> overrides)
    {
        if (overrides.Count == 0) return;
        var names = columnNames.ToHashSet(StringComparer.Ordinal);
        foreach (var name in overrides.Keys.Order(StringComparer.Ordinal))
        {
            if (!names.Contains(name))
            {
                var known = string.Join(", ", names.Take(20).Select(n => $"{Echo.Quote(n)}"));
                throw new InvalidArgumentException("header.column_types",
                    $"{Echo.Quote(name)} is not a column of the file (its columns: {known}{(names.Count > 20 ? ", …" : "")})");
            }
        }
    }

    /// <summary>Completes every column (checking its override) and assembles the scan.</summary>
    public static DatasetScan Assemble(IReadOnlyList<ColumnProfiler> columns, long rowCount, IReadOnlyDictionary<string, DatasetColumnType> overrides)
    {
        var results = columns
            .Select(c => c.Complete(overrides.TryGetValue(c.Name, out var type) ? type : null))
            .ToList();
        return new DatasetScan(
            results.Select(r => r.Column).ToList(),
            rowCount,
            new StoredProfile(rowCount, results.Select(r => r.Profile).ToList()));
    }
}
