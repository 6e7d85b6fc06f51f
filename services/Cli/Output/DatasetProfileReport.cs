using System.Globalization;
using Platform.Datasets.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// <c>datasets profile</c>: numeric columns in one table (distribution and outliers), the others in a second (top
/// values), then the label's classes and the warnings.
/// </summary>
public static class DatasetProfileReport
{
    public static void Print(IAnsiConsole console, DatasetProfile profile)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(profile);
        console.Write(Tables.Details(
        [
            ("Dataset", profile.DatasetId),
            ("Rows", profile.RowCount.ToString("N0", CultureInfo.InvariantCulture)),
            ("Columns", profile.Columns.Count),
        ]));

        var numeric = profile.Columns.Where(c => c.Type == ColumnType.Numeric).ToList();
        if (numeric.Count > 0)
        {
            var table = Tables.Create("Column", "Missing", "Distinct", "Min", "P5", "P25", "Median", "P75", "P95", "Max", "Mean", "Std", "Outliers");
            foreach (var c in numeric)
            {
                var n = c.Numeric;
                table.Row(c.Name, Missing(c), Distinct(c),
                    Number(n?.Min), Number(n?.P5), Number(n?.P25), Number(n?.P50), Number(n?.P75), Number(n?.P95), Number(n?.Max),
                    Number(n?.Mean), Number(n?.Std), Outliers(n));
            }
            console.Write(table);
        }

        var others = profile.Columns.Where(c => c.Type != ColumnType.Numeric).ToList();
        if (others.Count > 0)
        {
            var table = Tables.Create("Column", "Type", "Missing", "Distinct", "Values");
            foreach (var c in others)
            {
                var values = c.Type == ColumnType.Date
                    ? (c.MinDate.Length > 0 ? $"{c.MinDate} to {c.MaxDate}" : "")
                    : string.Join(", ", c.TopValues.Take(5).Select(v => $"{Shorten(v.Value)} {v.Count:N0} ({Formats.Percent(v.Share)})"))
                      + (c.TopValues.Count > 5 || c.DistinctCount > c.TopValues.Count ? ", …" : "");
                table.Row(c.Name, TypeName(c.Type), Missing(c), Distinct(c), values);
            }
            console.Write(table);
        }
        if (numeric.Any(c => c.Numeric is { QuantilesExact: false }))
            console.WriteLine("~ quantiles and outlier counts estimated by a streaming sketch (rank error < 0.5%).");
        console.WriteLine("Outliers: values below P25 - 1.5 IQR or above P75 + 1.5 IQR (IQR = P75 - P25); \"zeros\": zero-inflated, not counted.");

        if (profile.Label is { } label)
        {
            console.Write(new Rule($"Label {Markup.Escape(label.Column)}").LeftJustified());
            var table = Tables.Create("Class", "Rows", "Share");
            foreach (var c in label.Classes) table.Row(c.Value, c.Count.ToString("N0", CultureInfo.InvariantCulture), Share(c.Share));
            if (label.MissingCount > 0) table.Row("(missing)", label.MissingCount.ToString("N0", CultureInfo.InvariantCulture), Share(label.MissingShare));
            if (label.Classes.Count > 0 || label.MissingCount > 0) console.Write(table);
            if (label.ImbalanceRatio > 0)
                console.WriteLine($"Imbalance (largest / smallest class): {label.ImbalanceRatio.ToString("0.##", CultureInfo.InvariantCulture)}");
            if (label.Distribution is { } d)
            {
                // A regression target: its distribution, not a class table.
                var spread = Tables.Create("Min", "P5", "P25", "Median", "P75", "P95", "Max", "Mean", "Std");
                spread.Row(Number(d.Min), Number(d.P5), Number(d.P25), Number(d.P50), Number(d.P75), Number(d.P95), Number(d.Max), Number(d.Mean), Number(d.Std));
                console.Write(spread);
            }
        }

        if (profile.Warnings.Count > 0)
        {
            console.Write(new Rule("Warnings").LeftJustified());
            foreach (var warning in profile.Warnings) console.Write(new Text($"! {warning}\n", new Style(Color.Yellow)));
        }
        else
        {
            console.WriteLine("No warnings.");
        }
    }

    private static string Outliers(NumericSummary? n) => n switch
    {
        null => "",
        { ZeroInflated: true } => "zeros",
        _ => (n.QuantilesExact ? "" : "~") + n.OutlierCount.ToString("N0", CultureInfo.InvariantCulture),
    };

    private static string Missing(ColumnProfile c) =>
        c.MissingCount == 0 ? "0" : $"{c.MissingCount.ToString("N0", CultureInfo.InvariantCulture)} ({Share(c.MissingShare)})";

    private static string Distinct(ColumnProfile c) =>
        (c.DistinctExact ? "" : "~") + c.DistinctCount.ToString("N0", CultureInfo.InvariantCulture);

    private static string Share(double share) => (share * 100).ToString(share < 0.1 ? "0.#" : "0", CultureInfo.InvariantCulture) + "%";

    private static string TypeName(ColumnType type) => type.ToString().ToLowerInvariant();

    private static string Number(double? value) => value switch
    {
        null => "",
        { } v when double.IsNaN(v) => "",
        { } v when v != 0 && (Math.Abs(v) >= 1e7 || Math.Abs(v) < 1e-3) => v.ToString("0.###e0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static string Shorten(string value) => value.Length <= 30 ? value : value[..29] + "…";
}
