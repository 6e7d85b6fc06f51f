using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using Platform.Datasets.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// Issue 3, acceptance 3: profiling <c>flights-3m.parquet</c> completes with peak memory well under the size of the
/// data loaded as objects. The model store runs as its own process (SQLite, in-memory bus); the benchmark uploads the
/// file as Parquet (the upload validates it and computes the profile, one row group and one column at a time), asks
/// for the profile, and reads the store's peak resident memory (VmHWM) before and after.
/// </summary>
/// <remarks>
/// The baseline is an estimate of the same data held as objects (one <c>object[]</c> per row, as a naive loader
/// builds it): rows × columns × (8-byte reference + 24-byte boxed value) for numbers, booleans and dates, and
/// rows × (8-byte reference + a string of 22 + 2 × mean length bytes, rounded up to 8) for string columns, plus
/// rows × (24-byte array header). Ratio = store peak / that estimate.
/// </remarks>
public static class DatasetProfileBenchmark
{
    private const string File = "flights-3m.parquet";
    private const int ChunkSize = 64 * 1024;

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasets)
    {
        var path = Path.Combine(datasets, File);
        if (!System.IO.File.Exists(path))
        {
            Console.WriteLine($"dataset profile: skipped ({path} not found; set PLATFORM_DATASETS)");
            return [];
        }
        var folder = Directory.CreateTempSubdirectory("profile-bench").FullName;
        try
        {
            await using var store = await ServiceProcess.StartAsync("ModelStore", new Dictionary<string, string>
            {
                ["Database__Provider"] = "Sqlite",
                ["ConnectionStrings__ModelStore"] = $"Data Source={Path.Combine(folder, "model-store.db")}",
                ["Database__CreateOnStartup"] = "true",
                ["BlobStore__Root"] = Path.Combine(folder, "blobs"),
                ["Messaging__Transport"] = "InMemory",
                [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
            });
            using var channel = InternalCaller.Channel(store.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
            var client = new DatasetService.DatasetServiceClient(channel);
            var idle = PeakMemoryBytes(store.ProcessId);

            Console.WriteLine($"dataset profile: uploading and profiling {File}");
            var clock = Stopwatch.StartNew();
            var dataset = await UploadAsync(client, path);
            var upload = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var profile = await client.GetDatasetProfileAsync(new GetDatasetProfileRequest { DatasetId = dataset.Id });
            var get = clock.Elapsed.TotalSeconds;
            var peak = PeakMemoryBytes(store.ProcessId);

            var objects = ObjectsEstimate(profile);
            var size = new FileInfo(path).Length;
            Console.WriteLine($"  {profile.RowCount:N0} rows x {profile.Columns.Count} columns, {size / 1e6:0.0} MB on disk; " +
                              $"upload + profile {upload:0.0} s, GetDatasetProfile {get * 1000:0} ms");
            foreach (var c in profile.Columns)
                Console.WriteLine($"    {c.Name,-24} {c.Type,-22} missing {c.MissingCount,9:N0}  distinct {(c.DistinctExact ? "" : "~")}{c.DistinctCount:N0}  mean length {c.MeanLength:0.0}");
            Console.WriteLine($"  store memory: {idle / 1e6:0} MB idle, {peak / 1e6:0} MB peak; the data as objects ≈ {objects / 1e6:0} MB");

            var data = $"{File} ({profile.RowCount:N0} rows x {profile.Columns.Count} columns)";
            return
            [
                new("datasets.profile_flights3m.peak_memory", peak / 1e6, "MB", objects / 1e6, (double)peak / objects, "<= 0.5", data, "sqlite"),
                new("datasets.profile_flights3m.idle_memory", idle / 1e6, "MB", null, null, "baseline", data, "sqlite"),
                new("datasets.profile_flights3m.upload_and_profile_time", upload, "s", null, null, "", data, "sqlite"),
            ];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Bytes to hold every value as an object, one <c>object[]</c> per row (see the class remarks).</summary>
    public static long ObjectsEstimate(DatasetProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        double perRow = 24 + 8 * profile.Columns.Count; // the row array: header + one reference per column
        foreach (var column in profile.Columns)
        {
            var present = 1 - column.MissingShare;
            perRow += column.Type is ColumnType.Categorical or ColumnType.Text
                ? present * Math.Ceiling((22 + 2 * column.MeanLength) / 8) * 8
                : present * 24;
        }
        return (long)(perRow * profile.RowCount);
    }

    private static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient client, string path)
    {
        using var call = client.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest
        {
            Header = new UploadDatasetHeader { Name = File, Format = DatasetFormat.Parquet },
        });
        await using var source = System.IO.File.OpenRead(path);
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>The process's peak resident memory so far (VmHWM), in bytes.</summary>
    private static long PeakMemoryBytes(int processId)
    {
        var line = System.IO.File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kilobytes * 1024;
    }
}
