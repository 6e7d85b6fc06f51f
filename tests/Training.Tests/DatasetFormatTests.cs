using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Schema;
using Platform.Training.Data;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

/// <summary>
/// A data set trains the same model whether it was uploaded as CSV, TSV or Parquet: same rows dropped, same split,
/// same metrics, same predictions, and (CSV and Parquet, whose saved loader is the same) the same model bytes.
/// </summary>
public sealed class DatasetFormatTests : IDisposable
{
    private const int Seed = 11;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, TrainingTask, string, string> Runs => new()
    {
        // Penguins has missing numbers and categories: nulls in the Parquet file, empty fields in the text files.
        { "penguins", TrainingTask.MulticlassClassification, "lightgbm", "Species" },
        { "penguins", TrainingTask.Regression, "sdca_regression", "Body Mass (g)" },
        { "iris", TrainingTask.MulticlassClassification, "lbfgs_maximum_entropy", "species" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Csv_tsv_and_parquet_of_the_same_data_give_identical_metrics_and_predictions(string dataName, TrainingTask task, string trainer, string label)
    {
        DatasetFile csv = dataName == "iris" ? SampleData.Iris : SampleData.Penguins;
        var tsv = DatasetFormats.ToTsv(csv, _temp.Path);
        var parquet = await DatasetFormats.ToParquet(csv, _temp.Path);

        var fromCsv = await Run(csv, task, trainer, label, "csv");
        var fromTsv = await Run(tsv, task, trainer, label, "tsv");
        var fromParquet = await Run(parquet, task, trainer, label, "parquet");

        Assert.Equal(fromCsv.Metrics, fromTsv.Metrics);
        Assert.Equal(fromCsv.Metrics, fromParquet.Metrics);
        Assert.Equal(fromCsv.Rows, fromParquet.Rows);
        Assert.Equal(fromCsv.Rows, fromTsv.Rows);
        Assert.Equal(fromCsv.Predictions.Sha256, fromTsv.Predictions.Sha256);
        Assert.Equal(fromCsv.Predictions.Sha256, fromParquet.Predictions.Sha256);
        // A model trained on Parquet saves the CSV loader of the data set's layout: the very same zip.
        Assert.Equal(fromCsv.Model.Sha256, fromParquet.Model.Sha256);
    }

    [Fact]
    public async Task Parquet_nulls_are_missing_values_under_the_same_policies_as_empty_csv_fields()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Penguins, _temp.Path, rowGroupRows: 50);

        var result = await Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "Sex", "nulls");

        // 11 penguins have no Sex (10 empty fields and none of the '.' rows, which is a value): the rows without a label are dropped.
        var csvResult = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "lightgbm", "Sex", "nulls-csv");
        Assert.Equal(csvResult.Rows, result.Rows);
        Assert.True(result.Rows.MissingLabel > 0);
        // The numeric gaps are filled with the training means, the default, in both: the same values.
        Assert.Equal(Describe(csvResult.Preparation), Describe(result.Preparation));
        Assert.Contains(result.Preparation, step => step.Kind == PreparationStep.ReplaceMissingValues && step.Columns.Contains("Beak Length (mm)"));
    }

    [Fact]
    public async Task A_model_trained_on_parquet_scores_the_parquet_rows_and_a_csv_of_the_same_layout_alike()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Iris, _temp.Path, rowGroupRows: 40);
        var result = await Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "species", "score");

        var ml = new MLContext();
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        using (var stream = File.OpenRead(result.Model.Path))
            model = ml.Model.LoadWithDataLoader(stream, out loader);
        var fromCsv = model.Transform(loader.Load(SampleData.Iris.Path)).GetColumn<string>("PredictedLabel").ToArray();
        var fromParquet = model.Transform(ParquetDataView.Open(parquet)).GetColumn<string>("PredictedLabel").ToArray();

        Assert.Equal(150, fromParquet.Length);
        Assert.Equal(fromCsv, fromParquet);
    }

    [Fact]
    public async Task Parquet_integers_booleans_and_timestamps_train_like_their_csv_text_and_the_date_becomes_its_parts()
    {
        var random = new Random(3);
        var dates = Enumerable.Range(0, 300).Select(i => new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(97 * i)).ToArray();
        var distance = dates.Select((_, i) => i % 17 == 0 ? (long?)null : random.Next(100, 3000)).ToArray();
        var origin = dates.Select((_, i) => i % 23 == 0 ? null : new[] { "SFO", "JFK", "ORD", "ATL" }[random.Next(4)]).ToArray();
        var weekend = dates.Select(d => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday).ToArray();
        var delay = dates.Select((d, i) => (long)((distance[i] ?? 1000) / 100 + d.Hour + (weekend[i] ? 20 : 0) + random.Next(10))).ToArray();
        DatasetColumn[] columns =
        [
            new("date", ColumnKind.Date), new("delay", ColumnKind.Numeric), new("distance", ColumnKind.Numeric),
            new("origin", ColumnKind.Categorical), new("weekend", ColumnKind.Boolean),
        ];
        var path = await DatasetFormats.WriteParquet(_temp.File("flights.parquet"),
            (new DataField<DateTime>("date"), (g, f) => g.WriteAsync<DateTime>(f, dates, null, null, default)),
            (new DataField<long>("delay"), (g, f) => g.WriteAsync<long>(f, delay, null, null, default)),
            (new DataField<long?>("distance"), (g, f) => g.WriteAsync<long>(f, distance, null, null, default)),
            (new DataField<string>("origin"), (g, f) => g.WriteAsync(f, origin!, null)),
            (new DataField<bool>("weekend"), (g, f) => g.WriteAsync<bool>(f, weekend, null, null, default)));
        var csv = SampleData.Write(_temp.Path, "flights.csv", columns, dates.Select((d, i) => string.Join(",",
            d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), delay[i], distance[i]?.ToString(CultureInfo.InvariantCulture) ?? "",
            origin[i] ?? "", weekend[i] ? "true" : "false")));
        var parquet = new DatasetFile(path, columns, DatasetFormat.Parquet);

        var fromCsv = await Run(csv, TrainingTask.Regression, "lightgbm", "delay", "typed-csv");
        var fromParquet = await Run(parquet, TrainingTask.Regression, "lightgbm", "delay", "typed-parquet");

        Assert.Equal(fromCsv.Metrics, fromParquet.Metrics);
        Assert.Equal(fromCsv.Predictions.Sha256, fromParquet.Predictions.Sha256);
        var parts = Assert.Single(fromParquet.Preparation, step => step.Kind == PreparationStep.DateParts);
        Assert.Equal(["date"], parts.Columns);
        Assert.Equal("year,month,day,day_of_week,day_of_year,hour", parts.Parameters["parts"]);
        Assert.Contains(fromParquet.Preparation, step => step.Kind == PreparationStep.OneHotEncoding && step.Columns.Contains("origin"));
        // The timestamps reach the predictions as ISO-8601 text (a date alone at midnight).
        var iso = dates.Select(d => d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)).ToHashSet();
        var predicted = File.ReadAllLines(fromParquet.Predictions.Path).Skip(1).Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)]).ToArray();
        Assert.Equal(fromParquet.Rows.Evaluated, predicted.Length);
        Assert.All(predicted, date => Assert.Contains(date, iso));
    }

    [Fact]
    public async Task A_date_column_becomes_year_month_day_weekday_and_day_of_year_in_the_saved_model()
    {
        // Every day of 2023 and 2024 (a leap year), and a few rows without a date.
        var days = Enumerable.Range(0, 731).Select(i => new DateTime(2023, 1, 1).AddDays(i)).ToArray();
        var csv = SampleData.Write(_temp.Path, "dated.csv",
            [new("when", ColumnKind.Date), new("x", ColumnKind.Numeric), new("y", ColumnKind.Numeric)],
            days.Select((d, i) => $"{(i % 50 == 7 ? "" : d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))},{i % 7},{(d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 10 : 0) + d.Month}"));

        var result = await TrainingRun.ExecuteAsync(csv, new TrainingSpec
        {
            Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", Seed = Seed,
        }, _temp.File("dated"));

        string[] partColumns = ["when.year", "when.month", "when.day", "when.day_of_week", "when.day_of_year"];
        Assert.Equal(partColumns, result.OutputSchema.Select(c => c.Name).Where(n => n.StartsWith("when.", StringComparison.Ordinal)));
        var step = Assert.Single(result.Preparation, s => s.Kind == PreparationStep.DateParts);
        Assert.Equal(["when"], step.Columns);
        Assert.Equal("year,month,day,day_of_week,day_of_year", step.Parameters["parts"]);
        Assert.Equal([.. partColumns, "x"], Assert.Single(result.Preparation, s => s.Kind == PreparationStep.ConcatenateFeatures).Columns);
        // The weekend and the month decide y: with the parts the model finds them.
        Assert.True(result.Metrics["r2"] > 0.95, $"r2 {result.Metrics["r2"]}");

        // The saved model computes the parts as .NET does; a missing date gets NaN parts before the mean fills them.
        var ml = new MLContext(Seed);
        var model = ml.Model.LoadWithDataLoader(result.Model.Path, out var loader);
        var scored = model.Transform(loader.Load(csv.Path));
        var rows = ml.Data.CreateEnumerable<DateRow>(scored, reuseRowObject: false).ToArray();
        for (var i = 0; i < days.Length; i++)
        {
            if (i % 50 == 7) continue;
            var d = days[i];
            Assert.Equal((d.Year, d.Month, d.Day, (int)d.DayOfWeek, d.DayOfYear),
                ((int)rows[i].Year, (int)rows[i].Month, (int)rows[i].Day, (int)rows[i].DayOfWeek, (int)rows[i].DayOfYear));
        }
    }

    [Fact]
    public async Task Date_parts_are_chosen_per_column_and_a_date_can_be_excluded()
    {
        var csv = SampleData.Write(_temp.Path, "timed.csv",
            [new("when", ColumnKind.Date), new("x", ColumnKind.Numeric), new("y", ColumnKind.Numeric)],
            Enumerable.Range(0, 60).Select(i => $"2024-01-{i % 28 + 1:00}T{i % 24:00}:30:00,{i},{i % 24}"));
        TrainingSpec Spec(Preparation.DataPreparation preparation) => new()
        {
            Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", Seed = Seed, Preparation = preparation,
            Hyperparameters = new Dictionary<string, string> { ["minimum_example_count_per_leaf"] = "2" },
        };

        var byDefault = await TrainingRun.ExecuteAsync(csv, Spec(Preparation.DataPreparation.Default), _temp.File("timed-default"));
        var chosen = await TrainingRun.ExecuteAsync(csv, Spec(new Preparation.DataPreparation
        {
            Columns = [new Preparation.ColumnPreparation { Name = "when", DateParts = [Preparation.DatePart.Hour, Preparation.DatePart.DayOfWeek] }],
        }), _temp.File("timed-chosen"));
        var excluded = await TrainingRun.ExecuteAsync(csv, Spec(new Preparation.DataPreparation { ExcludeColumns = ["when"] }), _temp.File("timed-excluded"));

        // The training rows hold times, so the default adds the hour.
        Assert.Equal("year,month,day,day_of_week,day_of_year,hour", byDefault.Preparation.Single(s => s.Kind == PreparationStep.DateParts).Parameters["parts"]);
        Assert.Equal(["when.hour", "when.day_of_week", "x"], chosen.Preparation.Single(s => s.Kind == PreparationStep.ConcatenateFeatures).Columns);
        Assert.DoesNotContain(excluded.Preparation, s => s.Kind == PreparationStep.DateParts);
        Assert.Equal(["when"], excluded.Preparation.Single(s => s.Kind == PreparationStep.ExcludeColumns).Columns);
        var error = await Assert.ThrowsAsync<SpecValidationException>(() => TrainingRun.ExecuteAsync(csv, Spec(new Preparation.DataPreparation
        {
            Columns = [new Preparation.ColumnPreparation { Name = "x", DateParts = [Preparation.DatePart.Year] }],
        }), _temp.File("timed-bad")));
        Assert.Equal("preparation.columns[0].date_parts", error.Field);
    }

    private sealed class DateRow
    {
        [ColumnName("when.year")] public float Year { get; set; }
        [ColumnName("when.month")] public float Month { get; set; }
        [ColumnName("when.day")] public float Day { get; set; }
        [ColumnName("when.day_of_week")] public float DayOfWeek { get; set; }
        [ColumnName("when.day_of_year")] public float DayOfYear { get; set; }
    }

    [Fact]
    public async Task A_corrupt_parquet_file_fails_the_run_with_a_message_naming_the_file()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Iris, _temp.Path);
        var bytes = await File.ReadAllBytesAsync(parquet.Path);
        await File.WriteAllBytesAsync(parquet.Path, bytes[..(bytes.Length / 2)]);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "species", "corrupt"));

        Assert.Contains("'iris.parquet' is not a readable Parquet file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_row_group_fails_the_run_with_a_message_naming_the_column_and_the_file()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Iris, _temp.Path, rowGroupRows: 150);
        var bytes = await File.ReadAllBytesAsync(parquet.Path);
        // Overwrite the column data between the leading magic bytes and the footer: the footer still opens.
        for (var i = 4; i < 400; i++) bytes[i] = 0xFF;
        await File.WriteAllBytesAsync(parquet.Path, bytes);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "species", "corrupt-group"));

        Assert.Contains("of 'iris.parquet' cannot be read in row group 1 of 1", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Column);
        Assert.Contains($"Column '{error.Column}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parquet_column_of_an_unsupported_type_fails_the_run_naming_the_column_and_its_type()
    {
        var path = await DatasetFormats.WriteParquet(_temp.File("blobs.parquet"),
            (new DataField<float>("x"), (g, f) => g.WriteAsync<float>(f, new float[] { 1, 2, 3, 4 }, null, null, default)),
            (new DataField<byte[]>("payload"), (g, f) => g.WriteAsync(f, new[] { new byte[] { 1 }, [2], [3], [4] }, null)),
            (new DataField<float>("y"), (g, f) => g.WriteAsync<float>(f, new float[] { 2, 4, 6, 8 }, null, null, default)));
        var data = new DatasetFile(path, [new("x", ColumnKind.Numeric), new("payload", ColumnKind.Categorical), new("y", ColumnKind.Numeric)], DatasetFormat.Parquet);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(data, TrainingTask.Regression, "lightgbm", "y", "blobs"));

        Assert.Equal("payload", error.Column);
        Assert.Contains("Column 'payload' of 'blobs.parquet' is of Parquet type binary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parquet_columns_that_differ_from_the_data_sets_are_named_in_the_failure()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Iris, _temp.Path);
        var renamed = parquet with { Columns = [.. parquet.Columns.Take(4), new DatasetColumn("variety", ColumnKind.Categorical)] };

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => Run(renamed, TrainingTask.MulticlassClassification, "lightgbm", "variety", "renamed"));

        Assert.Contains("'species'", error.Message, StringComparison.Ordinal);
        Assert.Contains("do not match the data set's columns", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_parquet_data_spec_and_seed_give_the_same_model_bytes()
    {
        var parquet = await DatasetFormats.ToParquet(SampleData.Penguins, _temp.Path);

        var first = await Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "Species", "first");
        var second = await Run(parquet, TrainingTask.MulticlassClassification, "lightgbm", "Species", "second");

        Assert.Equal(first.Model.Sha256, second.Model.Sha256);
        Assert.Equal(first.Metrics, second.Metrics);
    }

    private static string[] Describe(IEnumerable<PreparationStep> steps) =>
        [.. steps.Select(s => $"{s.Kind} {string.Join("|", s.Columns)} {string.Join("|", s.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))}")];

    private Task<TrainingResult> Run(DatasetFile data, TrainingTask task, string trainer, string label, string output) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label, Trainer = trainer, Seed = Seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
        }, _temp.File(output));
}
