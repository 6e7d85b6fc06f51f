using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

/// <summary>
/// The predictions file byte for byte: what a user's CSV reader gets for every kind of field, and the scored rows it is
/// written from, read while they are scored, giving the same rows as one cursor.
/// </summary>
public sealed class PredictionsFileTests : IDisposable
{
    private const int Seed = 11;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Every_field_is_written_as_documented_in_utf8_quoted_where_needed()
    {
        string[] cities = ["Zürich", "São Paulo, BR", "\"Big\" Apple", " padded ", "東京", "rocket 🚀", "two\nlines", "plain"];
        // A note longer than the writer's buffer, with a surrogate pair where it cuts the text into pieces.
        var longNote = new string('a', 21_844) + "🚀 " + new string('é', 30_000) + ", \"end\"";
        const int rows = 60;
        var ids = Enumerable.Range(0, rows).Select(i => $"id-{i:000}").ToArray();
        var city = Enumerable.Range(0, rows).Select(i => cities[i % cities.Length]).ToArray();
        var x = Enumerable.Range(0, rows).Select(i => i % 9 == 4 ? float.NaN : (i % 2 == 0 ? -1 : 1) * (i * 0.37f + 1e-7f * i)).ToArray();
        var note = Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? longNote : i % 3 == 1 ? "" : "short, note").ToArray();
        var y = Enumerable.Range(0, rows).Select(i => i * 1.5f - (i % 4) * 0.25f).ToArray();
        string Quoted(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var data = SampleData.Write(_temp.Path, "fields.csv",
            [new("id", ColumnKind.Categorical), new("city", ColumnKind.Categorical), new("x", ColumnKind.Numeric), new("note", ColumnKind.Categorical), new("y", ColumnKind.Numeric)],
            Enumerable.Range(0, rows).Select(i => string.Join(",", ids[i], Quoted(city[i]), float.IsNaN(x[i]) ? "" : Number(x[i]), Quoted(note[i]), Number(y[i]))));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "fast_tree", Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["id", "note"] },
        }, _temp.File("run"));

        // The held-out rows in file order, each with what the saved model predicts for it.
        var heldOut = DataSplit.Holdout(rows, null, TrainingSpec.DefaultHoldoutFraction, Seed);
        var ml = new MLContext();
        var model = ml.Model.LoadWithDataLoader(File.OpenRead(result.Model.Path), out var loader);
        var scores = model.Transform(loader.Load(data.Path)).GetColumn<float>("Score").ToArray();
        var expected = new StringBuilder("id,city,x,note,y,predicted_value\n");
        for (var i = 0; i < rows; i++)
        {
            if (!heldOut[i]) continue;
            expected.AppendJoin(',', Field(ids[i]), Field(city[i]), float.IsNaN(x[i]) ? "" : Number(x[i]), Field(note[i]), Number(y[i]), Number(scores[i])).Append('\n');
        }
        Assert.Equal(heldOut.Count(h => h), result.Rows.Evaluated);
        var written = await File.ReadAllBytesAsync(result.Predictions.Path);
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(written));
        Assert.Equal(new UTF8Encoding(false).GetBytes(expected.ToString()), written); // no BOM, nothing replaced
    }

    [Theory]
    [InlineData(TrainingTask.Regression, "fast_tree")]
    [InlineData(TrainingTask.BinaryClassification, "lbfgs_logistic")]
    public async Task Rows_without_a_label_are_left_out_and_each_written_row_keeps_its_own_fields(TrainingTask task, string trainer)
    {
        // The rows with a label are picked by position, both from the rows held in memory (x, the label) and from the
        // file read again for the columns the model does not read (id): a row written with another row's id would show.
        const int rows = 90;
        var labelled = Enumerable.Range(0, rows).Where(i => i % 7 != 3).ToArray();
        string Label(int i) => task == TrainingTask.Regression ? Number(i * 0.5f) : i % 2 == 0 ? "yes" : "no";
        var data = SampleData.Write(_temp.Path, "some-unlabelled.csv",
            [new("id", ColumnKind.Categorical), new("x", ColumnKind.Numeric),
             new("y", task == TrainingTask.Regression ? ColumnKind.Numeric : ColumnKind.Categorical)],
            Enumerable.Range(0, rows).Select(i => $"id-{i:000},{Number(i * 0.5f + (i % 2) * 100)},{(i % 7 == 3 ? "" : Label(i))}"));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = "y", Trainer = trainer, Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["id"] },
        }, _temp.File("run"));

        Assert.Equal(rows - labelled.Length, result.Rows.MissingLabel);
        // A classification's holdout is stratified by class, in the classes' order ("no", then "yes").
        int[]? strata = task == TrainingTask.Regression ? null : [.. labelled.Select(i => Label(i) == "no" ? 0 : 1)];
        var heldOut = DataSplit.Holdout(labelled.Length, strata, TrainingSpec.DefaultHoldoutFraction, Seed);
        var expected = labelled.Where((_, position) => heldOut[position])
            .Select(i => $"id-{i:000},{Number(i * 0.5f + (i % 2) * 100)},{Label(i)}").ToArray();
        var written = (await File.ReadAllLinesAsync(result.Predictions.Path)).Skip(1)
            .Select(line => string.Join(',', line.Split(',').Take(3))).ToArray();
        Assert.Equal(expected, written);
    }

    [Fact]
    public async Task Rows_read_while_they_are_scored_are_the_rows_and_metrics_of_one_pass_in_the_same_order()
    {
        var (ml, model, rows, selected) = await IrisModel();
        var whole = model.Transform(new RowSubset(rows, selected));
        // Blocks of 7 rows: the reader waits for each block while the rows are scored on this thread.
        var scored = ScoredRows.Prepare(model, rows, selected, ["Score", "petal_width"], blockRows: 7);
        var reading = Task.Run(() => (scored.GetColumn<float>("Score").ToArray(), scored.GetColumn<float>("petal_width").ToArray()));
        scored.Fill(CancellationToken.None);
        var (scores, labels) = await reading;

        Assert.Equal(selected.Count(s => s), scored.GetRowCount());
        Assert.Equal(whole.GetColumn<float>("Score"), scores);
        Assert.Equal(whole.GetColumn<float>("petal_width"), labels);
        var expected = ml.Regression.Evaluate(whole, "petal_width");
        var actual = ml.Regression.Evaluate(scored, "petal_width");
        Assert.Equal((expected.RootMeanSquaredError, expected.MeanAbsoluteError, expected.RSquared), (actual.RootMeanSquaredError, actual.MeanAbsoluteError, actual.RSquared));
    }

    [Fact]
    public async Task A_reader_waiting_for_rows_that_will_not_be_scored_gets_the_reason_instead_of_waiting()
    {
        var (_, model, rows, selected) = await IrisModel();
        var scored = ScoredRows.Prepare(model, rows, selected, ["Score"]);
        var reading = Task.Run(() => scored.GetColumn<float>("Score").ToArray());
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        var stopped = Assert.ThrowsAny<OperationCanceledException>(() => scored.Fill(cancellation.Token));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reading);
        Assert.Same(stopped, error.InnerException);
        Assert.Contains("could not be scored", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A regression of iris's petal width, with the cached rows and the rows to score (4 of every 5).</summary>
    private async Task<(MLContext Ml, ITransformer Model, IDataView Rows, bool[] Selected)> IrisModel()
    {
        var result = await TrainingRun.ExecuteAsync(SampleData.Iris, new TrainingSpec
        {
            Task = TrainingTask.Regression, LabelColumn = "petal_width", Trainer = "fast_tree", Seed = Seed,
        }, _temp.File("run"));
        var ml = new MLContext(Seed);
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        using (var stream = File.OpenRead(result.Model.Path))
            model = ml.Model.LoadWithDataLoader(stream, out loader);
        var rows = ml.Data.Cache(loader.Load(SampleData.Iris.Path));
        return (ml, model, rows, [.. Enumerable.Range(0, 150).Select(i => i % 5 != 2)]);
    }

    /// <summary>
    /// Issue 15, defect 3: cells that a spreadsheet would run as a formula (OWASP's CSV injection: a leading <c>=</c>,
    /// <c>+</c>, <c>-</c>, <c>@</c>, tab or carriage return) were written as they came. They are now written as text
    /// with a leading <c>'</c> (so is a value that starts with <c>'</c>, to keep the rule reversible), while plain
    /// numbers such as <c>-1.5</c> stay numbers; dropping the one leading <c>'</c> gives every value back.
    /// </summary>
    [Fact]
    public async Task Cells_a_spreadsheet_would_run_as_formulas_are_neutralised_reversibly_and_numbers_stay_numbers()
    {
        string[] notes = ["=HYPERLINK(\"http://x\",\"y\")", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "'quoted", "-1.5", "+3", "-2e-5", "plain", "a=b"];
        const int rows = 96;
        var note = Enumerable.Range(0, rows).Select(i => notes[i % notes.Length]).ToArray();
        var label = Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? "=1+1" : "@yes").ToArray();
        var x = Enumerable.Range(0, rows).Select(i => (i % 2 == 0 ? -1f : 1f) * (1 + i % 5)).ToArray();
        string Quoted(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var data = SampleData.Write(_temp.Path, "formulas.csv",
            [new("-note", ColumnKind.Categorical), new("x", ColumnKind.Numeric), new("label", ColumnKind.Categorical)],
            Enumerable.Range(0, rows).Select(i => string.Join(",", Quoted(note[i]), Number(x[i]), Quoted(label[i]))));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "label", Trainer = "fast_tree", Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["-note"] },
        }, _temp.File("run"));

        var table = ReadCsv(await File.ReadAllTextAsync(result.Predictions.Path));
        Assert.Equal(["'-note", "x", "label", "predicted_label"], table[0][..4]);
        Assert.True(table.Count > 10);
        foreach (var row in table.Skip(1))
        {
            // Text cells: neutralised exactly when they would start a formula, and the value comes back without the '.
            foreach (var cell in new[] { row[0], row[2], row[3] })
            {
                var value = cell.StartsWith('\'') ? cell[1..] : cell;
                Assert.Contains(value, notes.Concat(label));
                var formula = value.Length > 0 && "=+-@\t\r'".Contains(value[0], StringComparison.Ordinal)
                              && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                Assert.Equal(formula, cell.StartsWith('\''));
            }
            // Numbers, negative ones included, are written as numbers.
            Assert.False(row[1].StartsWith('\''), row[1]);
        }
        Assert.Contains(table.Skip(1), row => row[0] == "-1.5");
        Assert.Contains(table.Skip(1), row => row[0] == "'=HYPERLINK(\"http://x\",\"y\")");
    }

    /// <summary>An RFC 4180 reader, as a spreadsheet's import reads the file.</summary>
    private static List<string[]> ReadCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') field.Append(text[++i]);
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add([.. row]); row.Clear(); }
            else field.Append(c);
        }
        return rows;
    }

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180: quoted (quotes doubled) when it holds a comma, quote or line break, or starts or ends with white space.</summary>
    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])))
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}
