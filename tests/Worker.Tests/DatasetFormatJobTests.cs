using System.Globalization;
using Parquet;
using Parquet.Schema;
using Platform.Contracts;
using Platform.Datasets.V1;

namespace Platform.Worker.Tests;

/// <summary>The worker reads the format the model store recorded: the same penguins as CSV, TSV and Parquet train alike.</summary>
public sealed class DatasetFormatJobTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Penguins_as_csv_tsv_and_parquet_give_the_same_metrics_and_model()
    {
        var csv = _worker.AddPenguins();
        var tsv = Add("penguins.tsv", DatasetFormat.Tsv, System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(PenguinsPath).Replace(',', '\t')));
        var parquet = Add("penguins.parquet", DatasetFormat.Parquet, await PenguinsAsParquet());

        var fromCsv = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(csv)))[^1]);
        var fromTsv = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(tsv)))[^1]);
        var fromParquet = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(parquet)))[^1]);

        Assert.Equal(fromCsv.Metrics.OrderBy(m => m.Key), fromTsv.Metrics.OrderBy(m => m.Key));
        Assert.Equal(fromCsv.Metrics.OrderBy(m => m.Key), fromParquet.Metrics.OrderBy(m => m.Key));
        Assert.Equal(fromCsv.ModelSha256, fromParquet.ModelSha256);
    }

    [Fact]
    public async Task A_corrupt_parquet_data_set_fails_the_job_permanently_naming_the_data_set()
    {
        var bytes = await PenguinsAsParquet();
        var parquet = Add("penguins.parquet", DatasetFormat.Parquet, bytes[..(bytes.Length / 2)]);

        var failed = Assert.IsType<TrainingJobFailed>((await _worker.TrainAsync(WorkerUnderTest.Job(parquet)))[^1]);

        Assert.True(failed.Permanent);
        Assert.Contains("'penguins.parquet' is not a readable Parquet file", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(_worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task A_date_column_is_read_and_becomes_date_part_features()
    {
        var lines = File.ReadAllLines(PenguinsPath).Where(l => l.Length > 0).ToArray();
        var dated = string.Join("\n", lines.Select((l, i) => l + (i == 0 ? ",Observed" : $",2009-11-{1 + i % 28:00}"))) + "\n";
        var dataset = Add("penguins-dated.csv", DatasetFormat.Csv, System.Text.Encoding.UTF8.GetBytes(dated), ("Observed", ColumnType.Date));

        var completed = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(dataset)))[^1]);

        // Dates alone (no time of day): the default parts without the hour, recorded for the version.
        var version = Assert.Single(_worker.Store.Data.Registrations).Version;
        var parts = Assert.Single(version.PreparationSteps, s => s.Kind == "date_parts");
        Assert.Equal(new[] { "Observed" }, parts.Columns);
        Assert.Equal("year,month,day,day_of_week,day_of_year", parts.Parameters["parts"]);
        Assert.Contains("accuracy", completed.Metrics.Keys);
    }

    private static string PenguinsPath => Path.Combine(AppContext.BaseDirectory, "data", "penguins.csv");

    private static readonly (string Name, ColumnType Type)[] PenguinColumns =
    [
        ("Species", ColumnType.Categorical), ("Island", ColumnType.Categorical), ("Beak Length (mm)", ColumnType.Numeric),
        ("Beak Depth (mm)", ColumnType.Numeric), ("Flipper Length (mm)", ColumnType.Numeric), ("Body Mass (g)", ColumnType.Numeric),
        ("Sex", ColumnType.Categorical),
    ];

    private Dataset Add(string name, DatasetFormat format, byte[] bytes, params (string Name, ColumnType Type)[] extra)
    {
        var dataset = _worker.Store.Data.Add("default", name, bytes, [.. PenguinColumns, .. extra]);
        dataset.Format = format;
        return dataset;
    }

    /// <summary>penguins.csv as Parquet: numbers as nullable doubles, categories as strings, empty fields as nulls.</summary>
    private static async Task<byte[]> PenguinsAsParquet()
    {
        var rows = File.ReadAllLines(PenguinsPath).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        var fields = PenguinColumns.Select(c => new DataField(c.Name, c.Type == ColumnType.Numeric ? typeof(double) : typeof(string), isNullable: true)).ToArray();
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream))
        {
            using var group = writer.CreateRowGroup();
            for (var i = 0; i < fields.Length; i++)
            {
                var values = rows.Select(r => r[i]).ToArray();
                if (PenguinColumns[i].Type == ColumnType.Numeric)
                    await group.WriteAsync<double>(fields[i], values.Select(v => v.Length == 0 ? (double?)null : double.Parse(v, CultureInfo.InvariantCulture)).ToArray(), null, null, default);
                else
                    await group.WriteAsync(fields[i], values.Select(v => v.Length == 0 ? null : v).ToArray()!, null);
            }
        }
        return stream.ToArray();
    }
}
