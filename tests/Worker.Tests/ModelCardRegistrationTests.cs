using System.IO.Compression;
using System.Security.Cryptography;
using Platform.Contracts;
using Platform.Datasets.V1;

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

        var (markdown, entries) = Card();
        Assert.StartsWith("# Model card: penguins\n", markdown, StringComparison.Ordinal);
        Assert.Contains($"`{job.JobId}`, attempt 1", markdown, StringComparison.Ordinal);
        Assert.Contains($"`{dataset.Sha256}`", markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.ImageFolder + "confusion-matrix.png", markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.ImageFolder + "confusion-matrix.png", entries);
    }

    [Fact]
    public async Task The_card_shows_the_stored_profile_the_store_serves_for_the_jobs_tenant_and_label()
    {
        var dataset = _worker.AddPenguins("acme");
        var profile = new DatasetProfile { DatasetId = dataset.Id, RowCount = 344, Warnings = { "column `Island` is constant (every value is x)" } };
        profile.Columns.Add(new ColumnProfile { Name = "Species", Type = ColumnType.Categorical, DistinctCount = 3, DistinctExact = true });
        profile.Columns.Add(new ColumnProfile { Name = "Body Mass (g)", Type = ColumnType.Numeric, MissingCount = 2, MissingShare = 2 / 344.0, DistinctCount = 94, DistinctExact = true });
        profile.Columns.Add(new ColumnProfile { Name = "Comment", Type = ColumnType.Text, MissingCount = 86, MissingShare = 0.25, DistinctCount = 20_500, DistinctExact = false });
        profile.Label = new LabelProfile { Column = "Species", Classes = { new ValueCount { Value = "Adelie", Count = 152 } }, ImbalanceRatio = 2.5 };
        _worker.Store.Data.Profiles[dataset.Id] = profile;

        Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(dataset)))[^1]);

        var (tenant, request) = Assert.Single(_worker.Store.Data.ProfileRequests);
        Assert.Equal(("acme", dataset.Id, "Species"), (tenant, request.DatasetId, request.Label));
        var (markdown, _) = Card();
        Assert.Contains("every row of the data set at upload: 344 rows.", markdown, StringComparison.Ordinal);
        Assert.Contains("| `Species` | categorical | 0 | 0.0 % | 3 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| `Body Mass (g)` | numeric | 2 | 0.6 % | 94 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| `Comment` | text | 86 | 25.0 % | ≈ 20500 |", markdown, StringComparison.Ordinal);
        Assert.Contains("- column \\`Island\\` is constant \\(every value is x\\)", markdown, StringComparison.Ordinal);
        Assert.Contains("imbalance ratio): 2.5.", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be read", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_profile_cannot_be_read_the_card_says_so_and_shows_the_columns_as_recorded()
    {
        var dataset = _worker.AddPenguins("acme"); // the fake store has no profile for it: GetDatasetProfile is Unavailable

        Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(dataset)))[^1]);

        var (markdown, _) = Card();
        Assert.Contains("_The stored data profile could not be read when the card was written (the model store answered Unavailable: profiles are resting); " +
            "below, each column's type and missing count as the data set's record has them._", markdown, StringComparison.Ordinal);
        // This fake store records no missing values in the data set's record.
        Assert.Contains("| `Beak Length (mm)` | numeric | 0 |\n", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("missing share", markdown, StringComparison.Ordinal);
    }

    /// <summary>The card.md of the one registration and the bundle's entries, checked against the SHA-256 it was registered with.</summary>
    private (string Markdown, string[] Entries) Card()
    {
        var registration = Assert.Single(_worker.Store.Data.Registrations);
        var (header, bytes) = Assert.Single(registration.Artifacts, a => a.Header.Kind == ModelCardBundle.ArtifactKind);
        Assert.Equal((ModelCardBundle.FileName, Convert.ToHexStringLower(SHA256.HashData(bytes))), (header.FileName, header.Sha256));
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry(ModelCardBundle.MarkdownEntry)!.Open());
        return (reader.ReadToEnd(), [.. zip.Entries.Select(e => e.FullName)]);
    }
}
