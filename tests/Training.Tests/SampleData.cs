using System.Globalization;
using System.Text;
using Platform.Training.Data;

namespace Platform.Training.Tests;

/// <summary>The bundled sample data sets, with the column kinds the model store reports for them.</summary>
internal static class SampleData
{
    private static string DataFolder => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>344 penguins: missing numbers and a categorical label with missing values ("Sex").</summary>
    public static CsvDataset Penguins { get; } = new(Path.Combine(DataFolder, "penguins.csv"),
    [
        new("Species", ColumnKind.Categorical),
        new("Island", ColumnKind.Categorical),
        new("Beak Length (mm)", ColumnKind.Numeric),
        new("Beak Depth (mm)", ColumnKind.Numeric),
        new("Flipper Length (mm)", ColumnKind.Numeric),
        new("Body Mass (g)", ColumnKind.Numeric),
        new("Sex", ColumnKind.Categorical),
    ]);

    /// <summary>150 irises, four numeric features and "species".</summary>
    public static CsvDataset Iris { get; } = new(Path.Combine(DataFolder, "iris.csv"),
    [
        new("sepal_length", ColumnKind.Numeric),
        new("sepal_width", ColumnKind.Numeric),
        new("petal_length", ColumnKind.Numeric),
        new("petal_width", ColumnKind.Numeric),
        new("species", ColumnKind.Categorical),
    ]);

    /// <summary>
    /// 1,210 mails (380 spam): every fifth record of the SpamAssassin corpus, with "subject" and "body" as the
    /// text columns the model store infers them to be. "group" (the source folder) gives the label away.
    /// </summary>
    public static CsvDataset Spam { get; } = new(Path.Combine(DataFolder, "spam-assassin-sample.csv"),
    [
        new("label", ColumnKind.Categorical),
        new("subject", ColumnKind.Text),
        new("body", ColumnKind.Text),
        new("group", ColumnKind.Categorical),
    ]);

    /// <summary>
    /// Iris with the species replaced by a two-class label of the given kind: "is_versicolor" as
    /// true/false (boolean), 1/0 (numeric) or yes/no (categorical). Versicolor against the rest is
    /// not linearly separable, so the metrics are not all perfect.
    /// </summary>
    public static CsvDataset IrisTwoClass(string folder, ColumnKind kind)
    {
        var path = Path.Combine(folder, $"iris-versicolor-{kind}.csv".ToLowerInvariant());
        var lines = File.ReadAllLines(Iris.Path);
        var output = new StringBuilder();
        output.Append(lines[0][..lines[0].LastIndexOf(',')]).Append(",is_versicolor\n");
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cut = line.LastIndexOf(',');
            var positive = line[(cut + 1)..] == "versicolor";
            var label = kind switch
            {
                ColumnKind.Boolean => positive ? "True" : "False",
                ColumnKind.Numeric => positive ? "1" : "0",
                _ => positive ? "yes" : "no",
            };
            output.Append(line[..cut]).Append(',').Append(label).Append('\n');
        }
        File.WriteAllText(path, output.ToString());
        return new CsvDataset(path, [.. Iris.Columns.Take(4), new DatasetColumn("is_versicolor", kind)]);
    }

    /// <summary>
    /// Penguins for a binary label, "Sex": the one row whose Sex is "." is made missing too, so
    /// 11 of 344 rows have no label and must be dropped.
    /// </summary>
    public static CsvDataset PenguinsSex(string folder)
    {
        var path = Path.Combine(folder, "penguins-sex.csv");
        File.WriteAllLines(path, File.ReadAllLines(Penguins.Path).Select(line => line.EndsWith(",.", StringComparison.Ordinal) ? line[..^1] : line));
        return Penguins with { Path = path };
    }

    /// <summary>Every <paramref name="step"/>-th mail of <see cref="Spam"/> (one record per line), for tests that train twice.</summary>
    public static CsvDataset SpamEvery(string folder, int step)
    {
        var path = Path.Combine(folder, "spam-every.csv");
        var lines = File.ReadAllLines(Spam.Path);
        File.WriteAllLines(path, [lines[0], .. lines.Skip(1).Where((_, i) => i % step == 0)]);
        return Spam with { Path = path };
    }

    /// <summary>Penguins with one more column, "Constant", holding 1 in every row (a feature no model can use).</summary>
    public static CsvDataset PenguinsWithConstant(string folder)
    {
        var path = Path.Combine(folder, "penguins-constant.csv");
        File.WriteAllLines(path, File.ReadAllLines(Penguins.Path).Where(l => l.Length > 0).Select((line, i) => line + (i == 0 ? ",Constant" : ",1")));
        return new CsvDataset(path, [.. Penguins.Columns, new DatasetColumn("Constant", ColumnKind.Numeric)]);
    }

    /// <summary>Writes a small CSV; the header is the column names joined by commas unless given.</summary>
    public static CsvDataset Write(string folder, string name, DatasetColumn[] columns, IEnumerable<string> rows, string? header = null)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, (header ?? string.Join(",", columns.Select(c => c.Name))) + "\n" + string.Join("\n", rows) + "\n");
        return new CsvDataset(path, columns);
    }

    /// <summary>A data set of <see cref="TrainingRunTests.Trainers"/> by its name there; derived files are written to <paramref name="folder"/>.</summary>
    public static CsvDataset Named(string name, string folder) => name switch
    {
        "penguins" => Penguins,
        "iris" => Iris,
        "iris-boolean" => IrisTwoClass(folder, ColumnKind.Boolean),
        "iris-numeric" => IrisTwoClass(folder, ColumnKind.Numeric),
        "iris-categorical" => IrisTwoClass(folder, ColumnKind.Categorical),
        "penguins-sex" => PenguinsSex(folder),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
