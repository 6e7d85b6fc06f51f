using Spectre.Console;
using Spectre.Console.Rendering;

namespace Platform.Cli.Output;

/// <summary>Tables of plain text: values from the platform are never read as Spectre markup.</summary>
public static class Tables
{
    public static Table Create(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        return table;
    }

    public static Table Row(this Table table, params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.AddRow(cells.Select(cell => (IRenderable)new Text(Convert.ToString(cell, System.Globalization.CultureInfo.InvariantCulture) ?? "")).ToArray());
        return table;
    }

    /// <summary>Two columns of label and value, for one thing's details.</summary>
    public static Grid Details(IEnumerable<(string Label, object? Value)> rows)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (label, value) in rows)
            grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        return grid;
    }

    /// <summary>Reads every page of a paged list call.</summary>
    public static async Task<List<T>> AllPagesAsync<T>(Func<string, Task<(IEnumerable<T> Items, string NextPageToken)>> page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var all = new List<T>();
        var token = "";
        do
        {
            var (items, next) = await page(token);
            all.AddRange(items);
            token = next;
        } while (!string.IsNullOrEmpty(token));
        return all;
    }
}
