using System.Globalization;
using Platform.Training.Data;

namespace Platform.Training.Tests;

/// <summary>
/// Issue 3, acceptance 5 (training side): a data set whose column type says numeric but whose file holds text
/// there (a type overridden at upload, or a file the store did not check) fails the run naming the column, the
/// line and the value, rather than training on the value as if it were missing.
/// </summary>
public sealed class BadTrainingInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private CsvDataset WithText(string name, int textAt, string text, string y = "ab") =>
        SampleData.Write(_temp.Path, name, [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 30).Select(i =>
                $"{(i == textAt ? text : i.ToString(CultureInfo.InvariantCulture))},{y[i % y.Length]}"));

    [Fact]
    public async Task Text_in_a_numeric_feature_names_the_column_the_line_and_the_value()
    {
        // Data row 18 is line 19: the header is line 1.
        var data = WithText("text-in-feature.csv", textAt: 17, text: "twelve");

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal("x", error.Column);
        Assert.Equal(
            "Column 'x' is numeric, but line 19 of the file holds 'twelve', which is not a number: " +
            "fix the value, or type the column as categorical or text when uploading the data set.", error.Message);
    }

    [Fact]
    public async Task A_quoted_value_with_a_comma_is_named_as_written()
    {
        var data = WithText("decimal-comma.csv", textAt: 3, text: "\"4,5\"");

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal("x", error.Column);
        Assert.Contains("line 5 of the file holds '4,5', which is not a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_in_a_numeric_label_is_reported_rather_than_the_row_being_dropped_as_unlabelled()
    {
        var data = SampleData.Write(_temp.Path, "text-in-label.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Numeric)],
            Enumerable.Range(0, 30).Select(i => $"{i},{(i == 9 ? "about 19" : (2 * i + 1).ToString(CultureInfo.InvariantCulture))}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.Regression, "y"));

        Assert.Equal("y", error.Column);
        Assert.Contains("Column 'y' is numeric, but line 11 of the file holds 'about 19', which is not a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_in_every_row_of_a_feature_is_reported_as_text_not_as_an_all_missing_column()
    {
        var data = SampleData.Write(_temp.Path, "all-text.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 30).Select(i => $"v{i},{(i % 2 == 0 ? "a" : "b")}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal("x", error.Column);
        Assert.Contains("line 2 of the file holds 'v0', which is not a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_fields_and_NaN_stay_missing_values_and_train()
    {
        var data = SampleData.Write(_temp.Path, "gaps.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 30).Select(i => $"{(i % 7 == 3 ? "" : i % 7 == 5 ? "NaN" : i.ToString(CultureInfo.InvariantCulture))},{(i % 2 == 0 ? "a" : "b")}"));

        var result = await Run(data, TrainingTask.BinaryClassification, "y", "lbfgs_logistic");

        Assert.Contains("accuracy", result.Metrics.Keys);
    }

    [Fact]
    public async Task Text_in_an_excluded_column_does_not_matter()
    {
        var data = SampleData.Write(_temp.Path, "excluded.csv",
            [new("id", ColumnKind.Numeric), new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 30).Select(i => $"{(i == 4 ? "id-4" : i.ToString(CultureInfo.InvariantCulture))},{i},{(i % 2 == 0 ? "a" : "b")}"));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "y", Trainer = "lbfgs_logistic", Seed = 3,
            Preparation = new Preparation.DataPreparation { ExcludeColumns = ["id"] },
        }, _temp.File("out"));

        Assert.Contains("accuracy", result.Metrics.Keys);
    }

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string label, string trainer = "lightgbm") =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec { Task = task, LabelColumn = label, Trainer = trainer, Seed = 3 }, _temp.File("out"));
}
