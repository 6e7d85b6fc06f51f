using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;

namespace Platform.Training.ModelCards;

/// <summary>The label column over every row of the data set: class counts, or a numeric label's spread.</summary>
internal static class LabelDistribution
{
    public static (string[] Header, string[][] Rows) Count(DatasetFile data, DatasetColumn label, TrainingTask task)
    {
        var ml = new MLContext(0);
        var view = DatasetReader.Open(ml, data).Rows;
        if (label.Kind == ColumnKind.Numeric)
        {
            var values = view.GetColumn<float>(label.Name).ToArray();
            if (task == TrainingTask.Regression)
                return Spread(values);
            return Classes(values.Select(v => float.IsNaN(v) ? "" : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        return Classes(view.GetColumn<ReadOnlyMemory<char>>(label.Name).Select(v => v.ToString()).ToArray());
    }

    private static (string[], string[][]) Classes(string[] values)
    {
        var total = values.Length;
        var rows = values.GroupBy(v => v, StringComparer.Ordinal)
            .OrderBy(g => g.Key.Length == 0 ? 1 : 0).ThenByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new[]
            {
                g.Key.Length == 0 ? "_(missing)_" : ModelCardWriter.Escape(g.Key),
                ModelCardWriter.Invariant(g.Count()),
                Share(g.Count(), total),
            }).ToArray();
        return (["class", "rows", "share"], rows);
    }

    private static (string[], string[][]) Spread(float[] values)
    {
        var present = values.Where(v => !float.IsNaN(v)).Select(v => (double)v).Order().ToArray();
        var missing = values.Length - present.Length;
        if (present.Length == 0) return (["rows", "missing"], [[ModelCardWriter.Invariant(values.Length), ModelCardWriter.Invariant(missing)]]);
        var mean = present.Average();
        var std = present.Length > 1 ? Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / (present.Length - 1)) : 0;
        double Quantile(double q) => present[(int)Math.Round(q * (present.Length - 1))];
        return (["rows", "missing", "min", "median", "mean", "std", "max"],
        [[
            ModelCardWriter.Invariant(values.Length), ModelCardWriter.Invariant(missing), ModelCardWriter.Number(present[0]),
            ModelCardWriter.Number(Quantile(0.5)), ModelCardWriter.Number(mean), ModelCardWriter.Number(std), ModelCardWriter.Number(present[^1]),
        ]]);
    }

    private static string Share(long count, long total) =>
        total == 0 ? "" : ((double)count / total * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
