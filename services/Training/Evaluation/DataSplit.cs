namespace Platform.Training.Evaluation;

/// <summary>
/// Which rows train and which evaluate: a holdout split or k folds, stratified or not, decided by the seed
/// alone. Rows are numbered in file order, counting only the rows that take part (those with a label and
/// with a value in every drop_row column).
/// </summary>
/// <remarks>
/// <para>The rows are grouped into strata: one per class (ascending class index) when stratified, else one.
/// One SplitMix64 generator seeded with the job's seed shuffles each stratum in turn (Fisher-Yates over its
/// rows in file order).</para>
/// <para>Holdout: of a stratum of m rows, the first round(m × fraction) shuffled rows (halves away from zero)
/// are held out, but at least 1 and at most m − 1 when m ≥ 2, so every class with two rows or more is on
/// both sides. Folds: the j-th shuffled row of a stratum goes to fold (offset + j) mod k, where offset is the
/// number of rows in the strata before it, so fold sizes differ by at most one.</para>
/// </remarks>
public static class DataSplit
{
    /// <summary>For each row, whether it is held out.</summary>
    /// <param name="strata">The stratum (class index, 0 or more) of each row; null for an unstratified split.</param>
    public static bool[] Holdout(int rows, IReadOnlyList<int>? strata, double fraction, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A share between 0 and 1.");
        var heldOut = new bool[rows];
        foreach (var stratum in Shuffled(rows, strata, seed))
        {
            var count = (int)Math.Round(stratum.Count * fraction, MidpointRounding.AwayFromZero);
            if (stratum.Count >= 2) count = Math.Clamp(count, 1, stratum.Count - 1);
            else count = 0;
            for (var j = 0; j < count; j++) heldOut[stratum[j]] = true;
        }
        return heldOut;
    }

    /// <summary>For each row, its fold (0 to <paramref name="folds"/> − 1): the fold in which it is evaluated.</summary>
    /// <param name="strata">The stratum (class index, 0 or more) of each row; null for an unstratified split.</param>
    public static int[] Folds(int rows, IReadOnlyList<int>? strata, int folds, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var fold = new int[rows];
        var offset = 0;
        foreach (var stratum in Shuffled(rows, strata, seed))
        {
            for (var j = 0; j < stratum.Count; j++) fold[stratum[j]] = (offset + j) % folds;
            offset += stratum.Count;
        }
        return fold;
    }

    private static IEnumerable<List<int>> Shuffled(int rows, IReadOnlyList<int>? strata, int seed)
    {
        if (strata is not null && strata.Count != rows)
            throw new ArgumentException($"{strata.Count} strata for {rows} rows.", nameof(strata));
        var groups = new SortedDictionary<int, List<int>>();
        for (var row = 0; row < rows; row++)
        {
            var stratum = strata?[row] ?? 0;
            if (stratum < 0) throw new ArgumentException($"Row {row} has no stratum ({stratum}).", nameof(strata));
            if (!groups.TryGetValue(stratum, out var group)) groups[stratum] = group = [];
            group.Add(row);
        }
        var random = new SeededRandom(seed);
        foreach (var group in groups.Values)
        {
            random.Shuffle(group);
            yield return group;
        }
    }
}
