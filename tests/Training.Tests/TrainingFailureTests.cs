using Platform.Training.Data;

namespace Platform.Training.Tests;

public sealed class TrainingFailureTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_label_column_not_in_the_data_is_a_spec_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "species"));

        Assert.Equal("label_column", error.Field);
        Assert.Contains("'species' is not a column of the data set (did you mean 'Species'?)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 15, defect 4: a data set stored with a column name that ends in a space (accepted at upload before the
    /// column-name rule) failed every attempt inside ML.NET ("Could not find prefetch column 'b '"), and the worker
    /// retried it as transient. The name now fails as a data error, which the worker reports as permanent.
    /// </summary>
    [Theory]
    [InlineData("b ")]
    [InlineData(" b")]
    [InlineData("b\nc")]
    public async Task A_column_name_that_breaks_the_naming_rule_is_a_data_error_naming_it(string name)
    {
        var header = $"a,\"{name}\",y";
        var data = SampleData.Write(_temp.Path, "names.csv", [new("a", ColumnKind.Numeric), new(name, ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 40).Select(i => $"{i},{i % 3},{(i % 2 == 0 ? "yes" : "no")}"), header);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal(name, error.Column);
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
    public async Task Regression_on_a_non_numeric_label_is_a_spec_error(string label)
    {
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => Run(SampleData.Penguins, TrainingTask.Regression, label));

        Assert.Equal("label_column", error.Field);
        Assert.Contains($"'{label}' is categorical; regression needs a numeric label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feature_missing_in_every_row_is_a_data_error_naming_the_column_and_the_rule()
    {
        var data = SampleData.Write(_temp.Path, "empty-feature.csv",
            [new("x", ColumnKind.Numeric), new("blank", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 30).Select(i => $"{i},,{(i % 2 == 0 ? "a" : "b")}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "y"));

        Assert.Equal("blank", error.Column);
        Assert.Contains("Column 'blank' has no value in any of the 30 rows with a value in 'y'", error.Message, StringComparison.Ordinal);
        Assert.Contains("exclude it (preparation.exclude_columns)", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.ModelFileName)));
    }

    [Fact]
    public async Task A_feature_missing_in_every_row_trains_once_it_is_excluded()
    {
        var data = SampleData.Write(_temp.Path, "empty-feature.csv",
            [new("x", ColumnKind.Numeric), new("blank", ColumnKind.Categorical), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 100).Select(i => $"{i},,{(i % 2 == 0 ? "a" : "b")}"));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "y", Trainer = "fast_tree", Seed = 3,
            Preparation = new Preparation.DataPreparation { ExcludeColumns = ["blank"] },
        }, _temp.File("out"));

        Assert.Equal(["blank"], result.Preparation.Single(s => s.Kind == "exclude_columns").Columns);
    }

    [Theory]
    [InlineData("number_of_iterations", "0", "0 is out of range; expected a value from 1 to 10000")]
    [InlineData("learning_rate", "2", "2 is out of range; expected a value from 0.0001 to 1")]
    public async Task A_hyperparameter_out_of_range_names_the_field_and_the_range(string name, string value, string reason)
    {
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => TrainingRun.ExecuteAsync(SampleData.Iris,
            new TrainingSpec
            {
                Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = 1,
                Hyperparameters = new Dictionary<string, string> { [name] = value },
            },
            _temp.File("out")));

        Assert.Equal($"hyperparameters.{name}", error.Field);
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public async Task A_header_that_does_not_match_the_declared_columns_is_a_data_error()
    {
        var data = SampleData.Penguins with { Columns = [.. SampleData.Penguins.Columns.Reverse()] };

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.MulticlassClassification, "Species"));

        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cross_validation_of_a_binary_class_with_fewer_rows_than_folds_names_the_rule()
    {
        var data = SampleData.Write(_temp.Path, "rare.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Categorical)],
            Enumerable.Range(0, 40).Select(i => $"{i},{(i < 3 ? "rare" : "common")}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "y", Trainer = "lightgbm", Seed = 3,
            Evaluation = new Evaluation.EvaluationSpec { Folds = 5 },
        }, _temp.File("out")));

        Assert.Equal("y", error.Column);
        Assert.Contains("hold a single class of 'y' ('common'); each class needs at least 5 rows (one per fold)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_few_rows_to_split_is_a_data_error()
    {
        var data = SampleData.Write(_temp.Path, "tiny.csv", [new("x", ColumnKind.Numeric), new("y", ColumnKind.Numeric)], ["1,2"]);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.Regression, "y"));

        Assert.Equal("y", error.Column);
        Assert.Contains("too few", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LightGBM_binary_without_a_possible_split_is_a_data_error_that_says_what_to_change()
    {
        // 10 rows, of which 8 train: LightGBM's default minimum of 20 rows per leaf allows no split, so its binary trees
        // are single leaves, which ML.NET cannot turn into a model (it throws an ArgumentNullException of its own).
        var data = SampleData.Write(_temp.Path, "few.csv", [new("x", ColumnKind.Numeric), new("two", ColumnKind.Categorical)],
            Enumerable.Range(0, 10).Select(i => $"{i},{(i % 2 == 0 ? "even" : "odd")}"));

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.BinaryClassification, "two"));

        Assert.Equal("two", error.Column);
        Assert.Contains("LightGBM found no useful split in the 8 training rows", error.Message, StringComparison.Ordinal);
        Assert.Contains("lower minimum_example_count_per_leaf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LightGBM_on_few_rows_trains_once_a_leaf_may_hold_fewer_rows()
    {
        var data = SampleData.Write(_temp.Path, "few.csv", [new("x", ColumnKind.Numeric), new("two", ColumnKind.Categorical)],
            Enumerable.Range(0, 10).Select(i => $"{i},{(i < 5 ? "low" : "high")}"));

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "two", Trainer = "lightgbm", Seed = 3,
            Hyperparameters = new Dictionary<string, string> { ["minimum_example_count_per_leaf"] = "2" },
        }, _temp.File("out"));

        Assert.Equal(8, result.Rows.Training);
        Assert.True(double.IsFinite(result.Metrics[MetricNames.Accuracy]));
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
    public async Task Cancelling_during_evaluation_stops_the_predictions_written_alongside_and_leaves_no_artifact_half_written()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new CallbackProgress(p =>
        {
            if (p.Stage == TrainingStage.Evaluating && p.Fraction == 0) cancellation.Cancel();
        });

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TrainingRun.ExecuteAsync(SampleData.Penguins,
            new TrainingSpec { Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 1 },
            _temp.File("out"), progress, cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.PredictionsFileName)));
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.EvaluationFileName)));
        Assert.Empty(Directory.GetFiles(_temp.File("out"), "*.partial"));
    }

    [Fact]
    public async Task A_predictions_file_that_cannot_be_written_fails_the_run_with_its_reason_and_nothing_half_written()
    {
        // Where the predictions are written first, a folder: the writer, running alongside the scoring, fails.
        var blocked = Directory.CreateDirectory(Path.Combine(_temp.File("out"), TrainingRun.PredictionsFileName + ".partial"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TrainingRun.ExecuteAsync(SampleData.Penguins,
            new TrainingSpec { Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 1 },
            _temp.File("out")));

        Assert.IsNotAssignableFrom<OperationCanceledException>(error);
        Assert.Contains(blocked.FullName, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.PredictionsFileName)));
        Assert.False(File.Exists(Path.Combine(_temp.File("out"), TrainingRun.EvaluationFileName)));
        Assert.Empty(Directory.GetFiles(_temp.File("out"), "*.partial"));
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
