using Parquet;
using Parquet.Schema;
using Platform.ModelStore.Datasets.Profiling;

namespace Platform.ModelStore.Tests.Datasets;

/// <summary>Scans files the way an upload does, and writes small Parquet files to scan.</summary>
internal static class DatasetTestFiles
{
    public static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", name));

    public static Dictionary<string, DatasetColumnType> Types(params (string Column, DatasetColumnType Type)[] types) =>
        types.ToDictionary(t => t.Column, t => t.Type, StringComparer.Ordinal);

    public static async Task<DatasetScan> ScanAsync(
        DatasetFileFormat format, byte[] bytes, IReadOnlyDictionary<string, DatasetColumnType>? overrides = null, int chunkSize = 4096)
    {
        var scanner = DatasetScanners.For(format, overrides ?? new Dictionary<string, DatasetColumnType>());
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
            scanner.Append(bytes.AsSpan(offset, Math.Min(chunkSize, bytes.Length - offset)));
        return await scanner.CompleteAsync(() => new MemoryStream(bytes, writable: false), CancellationToken.None);
    }

    public static Task<DatasetScan> CsvAsync(string csv, IReadOnlyDictionary<string, DatasetColumnType>? overrides = null) =>
        ScanAsync(DatasetFileFormat.Csv, Encoding.UTF8.GetBytes(csv), overrides);

    public static async Task<string> CsvErrorAsync(string csv, IReadOnlyDictionary<string, DatasetColumnType>? overrides = null) =>
        (await Assert.ThrowsAsync<DatasetFormatException>(() => CsvAsync(csv, overrides))).Message;

    public static StoredColumnProfile Column(this DatasetScan scan, string name) => scan.Profile.Columns.Single(c => c.Name == name);

    /// <summary>
    /// A Parquet file with: id (int32), price (double, nullable), flag (boolean), city (string), when (timestamp),
    /// day (date), one row group per <paramref name="rowGroupSize"/> rows.
    /// </summary>
    public static async Task<byte[]> ParquetAsync(int rows, int rowGroupSize = 1000)
    {
        var id = new DataField<int>("id");
        var price = new DataField<double?>("price");
        var flag = new DataField<bool>("flag");
        var city = new DataField<string>("city");
        var when = new DateTimeDataField("when", DateTimeFormat.DateAndTime);
        var day = new DataField<DateOnly>("day");
        var schema = new ParquetSchema(id, price, flag, city, when, day);
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            for (var start = 0; start < rows; start += rowGroupSize)
            {
                var n = Math.Min(rowGroupSize, rows - start);
                var range = Enumerable.Range(start, n).ToArray();
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<int>(id, range.Select(i => i + 1).ToArray().AsMemory());
                await group.WriteAsync<double>(price, range.Select(i => i % 10 == 0 ? (double?)null : i % 100).ToArray().AsMemory());
                await group.WriteAsync<bool>(flag, range.Select(i => i % 3 == 0).ToArray().AsMemory());
                await group.WriteAsync(city, range.Select(i => i % 4 == 0 ? "Paris" : i % 4 == 1 ? "Oslo" : i % 4 == 2 ? "Rome" : null).ToArray());
                await group.WriteAsync<DateTime>(when, range.Select(i => new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(i)).ToArray().AsMemory());
                await group.WriteAsync<DateOnly>(day, range.Select(i => new DateOnly(2024, 1, 1).AddDays(i % 30)).ToArray().AsMemory());
            }
        }
        return stream.ToArray();
    }
}
