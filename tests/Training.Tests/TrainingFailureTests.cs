using Platform.Training.Data;

namespace Platform.Training.Tests;

public sealed class TrainingFailureTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_label_column_not_in_the_data_is_a_data_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "species"));

        Assert.Equal("species", error.Column);
        Assert.Contains("'species' is not in the data set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_label_missing_in_every_row_is_a_data_error()
    {
        var data = SampleData.Write(_temp.Path, "empty-label.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 20).Select(i => $"{i},"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal("y", error.Column);
        Assert.Contains("missing in all 20 rows", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TrainingTask.BinaryClassification)]
    [InlineData(TrainingTask.MulticlassClassification)]
    public async Task A_single_class_is_a_data_error(TrainingTask task)
    {
        var data = SampleData.Write(_temp.Path, "one-class.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 20).Select(i => $"{i},{(i % 5 == 0 ? "" : "cat")}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, task, "y"));

        Assert.Equal("y", error.Column);
        Assert.Contains("single class ('cat')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_classification_of_three_classes_is_a_data_error()
    {
        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(SampleData.Penguins, TrainingTask.BinaryClassification, "Species"));

        Assert.Equal("Species", error.Column);
        Assert.Contains("3 classes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Species")]
    [InlineData("Sex")]
    public async Task Regression_on_a_non_numeric_label_is_a_data_error(string label)
    {
        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(SampleData.Penguins, TrainingTask.Regression, label));

        Assert.Equal(label, error.Column);
        Assert.Contains("regression needs a numeric label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_that_does_not_match_the_declared_columns_is_a_data_error()
    {
        var data = SampleData.Penguins with { Columns = [.. SampleData.Penguins.Columns.Reverse()] };

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.MulticlassClassification, "Species"));

        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_few_rows_to_split_is_a_data_error()
    {
        var data = SampleData.Write(_temp.Path, "tiny.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Numeric)], ["1,2"]);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.Regression, "y"));

        Assert.Equal("y", error.Column);
        Assert.Contains("too few", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.75)]
    [InlineData(double.NaN)]
    public async Task A_holdout_fraction_out_of_range_names_the_field(double fraction)
    {
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => TrainingRun.ExecuteAsync(SampleData.Iris,
            new TrainingSpec { Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = 1, HoldoutFraction = fraction },
            _temp.File("out")));

        Assert.Equal("holdout_fraction", error.Field);
    }

    [Fact]
    public async Task An_invalid_hyperparameter_fails_before_any_work()
    {
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => TrainingRun.ExecuteAsync(SampleData.Iris,
            new TrainingSpec
            {
                Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = 1,
                Hyperparameters = new Dictionary<string, string> { ["learning_rate"] = "high" },
            },
            _temp.File("out")));

        Assert.Equal("hyperparameters.learning_rate", error.Field);
        Assert.False(Directory.Exists(_temp.File("out")));
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_run()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TrainingRun.ExecuteAsync(SampleData.Iris,
            new TrainingSpec { Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = 1 },
            _temp.File("out"), cancellationToken: cancellation.Token));
    }

    [Fact]
    public async Task Cancelling_during_training_stops_the_run_before_anything_is_written()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new CallbackProgress(p =>
        {
            if (p.Stage == TrainingStage.Training && p.Fraction == 0) cancellation.Cancel();
        });

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TrainingRun.ExecuteAsync(SampleData.Penguins,
            new TrainingSpec
            {
                Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 1,
                Hyperparameters = new Dictionary<string, string> { ["number_of_iterations"] = "10000", ["minimum_example_count_per_leaf"] = "1" },
            },
            _temp.File("out"), progress, cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        // ML.NET itself stopped (its own cancellation error is wrapped), rather than the run noticing after a full fit.
        Assert.NotNull(error.InnerException);
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.ModelFileName)));
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.PredictionsFileName)));
    }

    [Fact]
    public async Task Progress_reports_every_stage_in_order()
    {
        var reports = new List<TrainingProgress>();

        await TrainingRun.ExecuteAsync(SampleData.Iris,
            new TrainingSpec { Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = 1 },
            _temp.File("out"), new CallbackProgress(reports.Add));

        Assert.Equal(
            [TrainingStage.Loading, TrainingStage.Loading, TrainingStage.Training, TrainingStage.Training,
             TrainingStage.Evaluating, TrainingStage.Evaluating, TrainingStage.Saving, TrainingStage.Saving],
            reports.Select(r => r.Stage));
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], reports.Select(r => r.Fraction));
    }

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string label) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec { Task = task, LabelColumn = label, Trainer = "lightgbm", Seed = 3 }, _temp.File("out"));
}

/// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class CallbackProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
