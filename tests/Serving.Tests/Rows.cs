using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Platform.Training.Data;

namespace Platform.Serving.Tests;

/// <summary>Request rows as a client builds them: from a sample CSV, or by hand.</summary>
public static class Rows
{
    /// <summary>The data set's rows as request rows (numbers as numbers, categories as strings, empty fields as null), label included.</summary>
    public static List<Struct> From(CsvDataset data)
    {
        var lines = File.ReadAllLines(data.Path).Skip(1).Where(line => line.Length > 0);
        return [.. lines.Select(line =>
        {
            var fields = line.Split(',');
            var row = new Struct();
            for (var i = 0; i < data.Columns.Count; i++)
            {
                var text = fields[i];
                row.Fields[data.Columns[i].Name] = text.Length == 0 ? Value.ForNull()
                    : data.Columns[i].Kind == ColumnKind.Numeric ? Value.ForNumber(double.Parse(text, CultureInfo.InvariantCulture))
                    : Value.ForString(text);
            }
            return row;
        })];
    }

    /// <summary>One row by hand: numbers, strings and nulls.</summary>
    public static Struct Of(params (string Column, object? Value)[] values)
    {
        var row = new Struct();
        foreach (var (column, value) in values)
            row.Fields[column] = value switch
            {
                null => Value.ForNull(),
                string text => Value.ForString(text),
                bool flag => Value.ForBool(flag),
                _ => Value.ForNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            };
        return row;
    }

    /// <summary>A penguin as the sample's first row has it.</summary>
    public static Struct Penguin() => Of(("Island", "Torgersen"), ("Beak Length (mm)", 39.1), ("Beak Depth (mm)", 18.7),
        ("Flipper Length (mm)", 181), ("Body Mass (g)", 3750), ("Sex", "MALE"));

    /// <summary>An iris as the sample's first row has it.</summary>
    public static Struct Iris() => Of(("sepal_length", 5.1), ("sepal_width", 3.5), ("petal_length", 1.4), ("petal_width", 0.2));
}
