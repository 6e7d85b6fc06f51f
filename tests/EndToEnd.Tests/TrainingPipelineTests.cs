using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>What a user of the platform does, through the gateway only, with every service its own process.</summary>
[Trait("Category", "Integration")]
public sealed partial class TrainingPipelineTests(DistributedPlatform platform) : IClassFixture<DistributedPlatform>
{
    private static readonly string Penguins = Path.Combine(ServiceProcess.RepositoryRoot(), "samples", "data", "penguins.csv");

    private DatasetService.DatasetServiceClient Datasets => new(platform.Gateway);
    private JobService.JobServiceClient Jobs => new(platform.Gateway);
    private ModelService.ModelServiceClient Models => new(platform.Gateway);

    [Fact]
    public async Task Upload_submit_watch_download_and_predict_gives_the_workers_predictions()
    {
        var dataset = await UploadAsync(Penguins);
        Assert.Equal(344, dataset.RowCount);

        var job = await Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = dataset.Id,
                Task = TrainingTask.MulticlassClassification,
                LabelColumn = "Species",
                Trainer = "lightgbm",
                Seed = 42,
                ModelName = "penguins-e2e",
            },
        });

        var updates = new List<JobUpdate>();
        using (var watch = Jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, deadline: DateTime.UtcNow.AddMinutes(3)))
            await foreach (var update in watch.ResponseStream.ReadAllAsync()) updates.Add(update);

        var final = updates[^1].Job;
        Assert.True(final.State == JobState.Succeeded, $"job ended {final.State}: {final.FailureReason}\n{platform.Logs()}");
        Assert.Contains(updates, u => u.Job.State == JobState.Running);
        Assert.True(final.Result.Metrics["accuracy"] > 0.9, $"accuracy {final.Result.Metrics["accuracy"]}");
        Assert.True(final.Result.Metrics.ContainsKey("macro_f1"));

        var version = await Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins-e2e" });
        Assert.Equal(final.Result.ModelVersion, version.Version);
        Assert.Equal(job.Id, version.JobId);
        Assert.Equal(dataset.Sha256, version.DatasetSha256);

        var (modelBytes, modelArtifact) = await DownloadAsync("penguins-e2e", "model");
        Assert.Equal(modelArtifact.Sha256, Sha256(modelBytes));
        Assert.Equal(final.Result.ModelSha256, Sha256(modelBytes));
        var (predictionBytes, predictionArtifact) = await DownloadAsync("penguins-e2e", "predictions");
        Assert.Equal(predictionArtifact.Sha256, Sha256(predictionBytes));

        // The user's side: load the downloaded model with ML.NET and predict the holdout rows the worker evaluated.
        var dir = Directory.CreateTempSubdirectory("e2e-predict").FullName;
        var predictionsCsv = Path.Combine(dir, "predictions.csv");
        await File.WriteAllBytesAsync(predictionsCsv, predictionBytes);
        var ml = new MLContext(seed: 0);
        var model = ml.Model.LoadWithDataLoader(new MemoryStream(modelBytes), out var loader);
        var predicted = ml.Data.CreateEnumerable<PredictedLabel>(model.Transform(loader.Load(predictionsCsv)), reuseRowObject: false)
            .Select(p => p.Label).ToList();
        var expected = WorkerPredictions(ml, predictionsCsv, "predicted_label");

        Assert.True(expected.Count > 50, $"only {expected.Count} holdout rows");
        Assert.Equal(expected, predicted);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task A_job_on_an_unknown_dataset_is_not_found_and_creates_no_job()
    {
        var before = await Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 500 });
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = Guid.NewGuid().ToString(),
                Task = TrainingTask.MulticlassClassification,
                LabelColumn = "Species",
                Trainer = "lightgbm",
            },
        }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var after = await Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 500 });
        Assert.Equal(before.Jobs.Count, after.Jobs.Count);
    }

    [Fact]
    public async Task Tenants_do_not_see_each_others_datasets()
    {
        var dataset = await UploadAsync(Penguins, tenant: "tenant-a");
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Datasets.GetDatasetAsync(
            new GetDatasetRequest { DatasetId = dataset.Id }, new Metadata { { "x-tenant-id", "tenant-b" } }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private async Task<Dataset> UploadAsync(string path, string tenant = "default")
    {
        using var call = Datasets.UploadDataset(new Metadata { { "x-tenant-id", tenant } });
        await call.RequestStream.WriteAsync(new UploadDatasetRequest
        {
            Header = new UploadDatasetHeader { Name = Path.GetFileName(path), Format = DatasetFormat.Csv },
        });
        var bytes = await File.ReadAllBytesAsync(path);
        foreach (var chunk in bytes.Chunk(16 * 1024))
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(chunk) });
        await call.RequestStream.CompleteAsync();
        var dataset = await call.ResponseAsync;
        Assert.Equal(Sha256(bytes), dataset.Sha256);
        return dataset;
    }

    private async Task<(byte[] Bytes, Artifact Artifact)> DownloadAsync(string model, string artifact, int version = 0)
    {
        using var call = Models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = model, Artifact = artifact, Version = version });
        using var buffer = new MemoryStream();
        Artifact? described = null;
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            described ??= chunk.Artifact;
            chunk.Data.WriteTo(buffer);
        }
        Assert.NotNull(described);
        Assert.Equal(described.SizeBytes, buffer.Length);
        return (buffer.ToArray(), described);
    }

    /// <summary>The worker's prediction column of the predictions CSV, read by name from its header.</summary>
    private static List<string> WorkerPredictions(MLContext ml, string path, string column)
    {
        var header = File.ReadLines(path).First().Split(',');
        var index = Array.IndexOf(header, column);
        Assert.True(index >= 0, $"no {column} column in {string.Join(",", header)}");
        var view = ml.Data.LoadFromTextFile(path, [new TextLoader.Column("Value", DataKind.String, index)],
            separatorChar: ',', hasHeader: true, allowQuoting: true);
        return view.GetColumn<ReadOnlyMemory<char>>("Value").Select(v => v.ToString()).ToList();
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private sealed class PredictedLabel
    {
        [ColumnName("PredictedLabel")]
        public string Label { get; set; } = "";
    }
}
