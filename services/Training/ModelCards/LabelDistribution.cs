using Platform.Training.Pipeline;

namespace Platform.Training.ModelCards;

/// <summary>The label column over every row of the data set: class counts, or a numeric label's spread.</summary>
internal static class LabelDistribution
{
    /// <param name="values">The label as the run counted it over every row (<see cref="LabelColumn.Values"/>).</param>
    public static (string[] Header, string[][] Rows) Table(LabelValues values, TrainingTask task) =>
        task == TrainingTask.Regression ? Spread(values) : Classes(values);

    private static (string[], string[][]) Classes(LabelValues values)
    {
        var classes = values.Missing > 0 ? values.Classes.Append((Value: "", Rows: values.Missing)) : values.Classes;
        var rows = classes
            .OrderBy(c => c.Value.Length == 0 ? 1 : 0).ThenByDescending(c => c.Rows).ThenBy(c => c.Value, StringComparer.Ordinal)
            .Select(c => new[]
            {
                c.Value.Length == 0 ? "_(missing)_" : ModelCardWriter.Escape(c.Value),
                ModelCardWriter.Invariant(c.Rows),
                Share(c.Rows, values.Rows),
            }).ToArray();
        return (["class", "rows", "share"], rows);
    }

    private static (string[], string[][]) Spread(LabelValues values)
    {
        var present = Array.ConvertAll(values.Numbers ?? [], v => (double)v);
        Array.Sort(present);
        var rows = ModelCardWriter.Invariant(values.Rows);
        var missing = ModelCardWriter.Invariant(values.Missing);
        if (present.Length == 0) return (["rows", "missing"], [[rows, missing]]);
        // Summed in ascending order, as the card always did, so the same label gives the same figures.
        var mean = present.Average();
        double squares = 0;
        foreach (var value in present) squares += (value - mean) * (value - mean);
        var std = present.Length > 1 ? Math.Sqrt(squares / (present.Length - 1)) : 0;
        double Quantile(double q) => present[(int)Math.Round(q * (present.Length - 1))];
        return (["rows", "missing", "min", "median", "mean", "std", "max"],
        [[
            rows, missing, ModelCardWriter.Number(present[0]),
            ModelCardWriter.Number(Quantile(0.5)), ModelCardWriter.Number(mean), ModelCardWriter.Number(std), ModelCardWriter.Number(present[^1]),
        ]]);
    }

    private static string Share(long count, long total) =>
        total == 0 ? "" : ((double)count / total * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
