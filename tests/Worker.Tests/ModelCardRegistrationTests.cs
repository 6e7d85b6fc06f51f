using System.IO.Compression;
using System.Security.Cryptography;
using Platform.Contracts;

namespace Platform.Worker.Tests;

/// <summary>The worker writes a model card for every version it registers.</summary>
public sealed class ModelCardRegistrationTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_registered_version_carries_its_model_card_with_the_job_and_data_set_it_came_from()
    {
        var dataset = _worker.AddPenguins("acme");
        var job = WorkerUnderTest.Job(dataset);

        Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(job))[^1]);

        var registration = Assert.Single(_worker.Store.Data.Registrations);
        var (header, bytes) = Assert.Single(registration.Artifacts, a => a.Header.Kind == ModelCardBundle.ArtifactKind);
        Assert.Equal((ModelCardBundle.FileName, Convert.ToHexStringLower(SHA256.HashData(bytes))), (header.FileName, header.Sha256));
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry(ModelCardBundle.MarkdownEntry)!.Open());
        var markdown = reader.ReadToEnd();
        Assert.StartsWith("# Model card: penguins\n", markdown, StringComparison.Ordinal);
        Assert.Contains($"`{job.JobId}`, attempt 1", markdown, StringComparison.Ordinal);
        Assert.Contains($"`{dataset.Sha256}`", markdown, StringComparison.Ordinal);
        // The store's record of the columns stands in for the data profile (this fake store records no missing values).
        Assert.Contains("| `Beak Length (mm)` | numeric | 0 |", markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.ImageFolder + "confusion-matrix.png", markdown, StringComparison.Ordinal);
        Assert.NotNull(zip.GetEntry(ModelCardBundle.ImageFolder + "confusion-matrix.png"));
    }
}
