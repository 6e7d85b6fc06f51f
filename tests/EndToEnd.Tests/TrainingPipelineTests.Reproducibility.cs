using Grpc.Core;
using Platform.Jobs.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>Issue 3, acceptance 4: the same job twice gives identical results, and re-running a job reproduces them.</summary>
public sealed partial class TrainingPipelineTests
{
    [Fact]
    public async Task The_same_spec_twice_and_a_rerun_give_bit_identical_metrics_and_the_same_model_bytes()
    {
        var dataset = await UploadAsync(Penguins);
        // Cross-validation, a preparation choice and feature importance: every seeded part of a run takes part.
        var spec = new JobSpec
        {
            DatasetId = dataset.Id,
            Task = TrainingTask.MulticlassClassification,
            LabelColumn = "Species",
            Trainer = "sdca_maximum_entropy",
            Seed = 7,
            ModelName = "penguins-reproducible",
            Preparation = new Preparation { MissingValues = MissingValuePolicy.Median },
            Evaluation = new EvaluationSpec { Folds = 3, FeatureImportance = true, Permutations = 2 },
        };

        var first = await RunToEndAsync(await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }));
        var second = await RunToEndAsync(await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }));
        var rerun = await Jobs.RerunJobAsync(new RerunJobRequest { JobId = first.Id });
        Assert.Equal(first.Id, rerun.RerunOf);
        Assert.Equal(first.Spec, rerun.Spec);
        Assert.Equal(dataset.Sha256, rerun.DatasetSha256);
        var third = await RunToEndAsync(rerun);

        Assert.Equal(first.Id, third.RerunOf);
        Assert.Equal(3, new[] { first, second, third }.Select(j => j.Result.ModelVersion).Distinct().Count());
        foreach (var again in new[] { second, third })
        {
            Assert.Equal(first.Result.Metrics.Keys.Order(), again.Result.Metrics.Keys.Order());
            foreach (var (name, value) in first.Result.Metrics)
                Assert.True(BitConverter.DoubleToInt64Bits(value) == BitConverter.DoubleToInt64Bits(again.Result.Metrics[name]),
                    $"{name}: {value:R} in job {first.Id}, {again.Result.Metrics[name]:R} in job {again.Id}");
            // Folds, per-class figures, confusion matrix and importances (protobuf compares doubles bit by bit).
            Assert.Equal(first.Result.Evaluation, again.Result.Evaluation);
            Assert.Equal(first.Result.ModelSha256, again.Result.ModelSha256);

            // What the registry serves for each version is those very bytes.
            var (bytes, _) = await DownloadAsync(spec.ModelName, "model", again.Result.ModelVersion);
            Assert.Equal(first.Result.ModelSha256, Sha256(bytes));
        }
    }

    /// <summary>Follows the job to its end; the job as it ended, which must be a success.</summary>
    private async Task<Job> RunToEndAsync(Job job)
    {
        Job? final = null;
        using (var watch = Jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, deadline: DateTime.UtcNow.AddMinutes(5)))
            await foreach (var update in watch.ResponseStream.ReadAllAsync()) final = update.Job;
        Assert.NotNull(final);
        Assert.True(final.State == JobState.Succeeded, $"job {job.Id} ended {final.State}: {final.FailureReason}\n{platform.Logs()}");
        return final;
    }
}
