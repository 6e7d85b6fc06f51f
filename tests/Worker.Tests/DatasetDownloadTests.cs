using Grpc.Net.Client;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Worker.ModelStore;

namespace Platform.Worker.Tests;

/// <summary>The worker's data set download: every byte arrives in order, and bytes that are not the recorded ones are never trained on.</summary>
public sealed class DatasetDownloadTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_data_set_of_many_chunks_arrives_byte_for_byte_with_its_progress()
    {
        var bytes = new byte[3 * 1024 * 1024 + 5];
        new Random(7).NextBytes(bytes);
        var dataset = _worker.Store.Data.Add("acme", "big.csv", bytes, ("x", ColumnType.Numeric));
        using var channel = GrpcChannel.ForAddress(_worker.Store.Address);
        var downloader = new DatasetDownloader(new DatasetService.DatasetServiceClient(channel));
        var path = Path.Combine(_worker.Scratch, "big.csv");
        var progress = new List<double>();

        var downloaded = await downloader.DownloadAsync("acme", Guid.Parse(dataset.Id), path, progress.Add, CancellationToken.None);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(dataset.Sha256, downloaded.Dataset.Sha256);
        Assert.Equal(1.0, progress[^1]);
        Assert.True(progress.Count > 1);
    }

    [Fact]
    public async Task A_data_set_with_one_byte_changed_in_transit_fails_the_job_naming_both_checksums()
    {
        var dataset = _worker.AddPenguins();
        var stored = _worker.Store.Data.Datasets[("default", dataset.Id)];
        var changed = stored.Bytes.ToArray();
        changed[changed.Length / 2] ^= 0x01; // same size: only the SHA-256 can tell
        _worker.Store.Data.Datasets[("default", dataset.Id)] = (stored.Dataset, changed);

        var events = await _worker.TrainAsync(WorkerUnderTest.Job(dataset));

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.Contains($"Data set {dataset.Id} arrived with SHA-256", failed.Reason, StringComparison.Ordinal);
        Assert.Contains($"the model store recorded {dataset.Sha256}", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(events.OfType<TrainingJobProgressed>(), e => e.Stage == "training");
        Assert.Empty(_worker.Store.Data.Registrations);
    }
}
