using Grpc.Core;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// A 5-fold cross-validation with <c>evaluation.parallel_folds</c>, through the gateway, on real PostgreSQL and RabbitMQ with
/// two worker processes: its folds run as jobs of their own on both workers, and it ends with exactly what the same job
/// without the flag gives, model bytes included.
/// </summary>
public sealed partial class TrainingPipelineTests
{
    [Fact]
    public async Task A_cross_validation_with_parallel_folds_runs_its_folds_on_both_workers_and_gives_exactly_the_serial_result()
    {
        var dataset = await UploadAsync(Penguins);
        JobSpec Spec(string modelName, bool parallel) => new()
        {
            DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 42,
            ModelName = modelName,
            // Enough rounds that a fold takes a moment, so folds on the two workers overlap.
            Hyperparameters = { ["number_of_iterations"] = "300" },
            Evaluation = new EvaluationSpec { Folds = 5, FeatureImportance = true, Permutations = 2, ParallelFolds = parallel },
        };

        var fanned = await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Spec("penguins-cv-parallel", parallel: true) });
        var history = await WatchToEndAsync(fanned.Id);
        var done = history[^1].Job;
        Assert.True(done.State == JobState.Succeeded, $"job ended {done.State}: {done.FailureReason}\n{platform.Logs()}");
        var serial = await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Spec("penguins-cv-serial", parallel: false) });
        var serialDone = (await WatchToEndAsync(serial.Id))[^1].Job;
        Assert.True(serialDone.State == JobState.Succeeded, $"serial job ended {serialDone.State}: {serialDone.FailureReason}");

        // Five fold jobs, each evaluated once, spread over both workers, some at the same time; the job itself ran once after them.
        var shown = await Jobs.GetJobAsync(new GetJobRequest { JobId = fanned.Id });
        Assert.Equal([1, 2, 3, 4, 5], shown.Folds.Select(f => f.Fold));
        var folds = await Task.WhenAll(shown.Folds.Select(f => Jobs.GetJobAsync(new GetJobRequest { JobId = f.JobId }).ResponseAsync));
        Assert.All(folds, f => Assert.Equal((JobState.Succeeded, 1, fanned.Id, "fold", 0), (f.State, f.Attempt, f.ParentJobId, f.Source, f.Result.ModelVersion)));
        Assert.Equal(DistributedPlatform.WorkerNames, folds.Select(f => f.Result.Worker).Distinct().Order());
        Assert.True(folds.Any(a => folds.Any(b => a.Result.Worker != b.Result.Worker
            && a.StartedAt.ToDateTimeOffset() < b.FinishedAt.ToDateTimeOffset() && b.StartedAt.ToDateTimeOffset() < a.FinishedAt.ToDateTimeOffset())),
            "no two folds on different workers overlapped");
        Assert.True(folds.All(f => f.FinishedAt.ToDateTimeOffset() <= done.StartedAt.ToDateTimeOffset()), "the job started before its folds ended");
        Assert.Equal(1, done.Attempt);
        // The history says where the folds went.
        Assert.Contains(history, u => u.Message.StartsWith("5 folds queued as jobs of their own", StringComparison.Ordinal));
        Assert.Contains(history, u => u.Message == "all 5 folds succeeded; queued to fit the model on every row and report the folds");

        // Exactly the serial run: every figure to the last bit (protobuf compares doubles bitwise), the model and the files.
        Assert.Equal(serialDone.Result.Metrics, done.Result.Metrics);
        Assert.Equal(serialDone.Result.Evaluation, done.Result.Evaluation);
        Assert.Equal(5, done.Result.Evaluation.FoldResults.Count);
        Assert.Equal(serialDone.Result.ModelSha256, done.Result.ModelSha256);
        for (var i = 0; i < 5; i++)
            Assert.Equal(serialDone.Result.Evaluation.FoldResults[i].Metrics, folds[i].Result.Metrics);
        var fannedVersion = await Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins-cv-parallel" });
        var serialVersion = await Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins-cv-serial" });
        string[] computed = ["model", "predictions", "evaluation"];
        Assert.Equal(serialVersion.Artifacts.Where(a => computed.Contains(a.Kind)).Select(a => (a.Kind, a.Sha256)).Order(),
            fannedVersion.Artifacts.Where(a => computed.Contains(a.Kind)).Select(a => (a.Kind, a.Sha256)).Order());
        // The folds' scored rows reached the job through the store: no fold was fitted again.
        Assert.DoesNotContain("the fold is scored again", platform.Logs(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_job_with_parallel_folds_cancels_its_folds()
    {
        var dataset = await UploadAsync(Penguins);
        var job = await Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 3,
                ModelName = "penguins-cv-cancelled", Hyperparameters = { ["number_of_iterations"] = "2000" },
                Evaluation = new EvaluationSpec { Folds = 10, ParallelFolds = true },
            },
        });
        var shown = job;
        for (var i = 0; i < 100 && shown.Folds.Count < 10; i++)
        {
            await Task.Delay(100);
            shown = await Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        }
        Assert.Equal(10, shown.Folds.Count);

        var cancelled = await Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id, Reason = "test" });

        Assert.Equal(JobState.Cancelled, cancelled.State);
        var after = await Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.All(after.Folds, f => Assert.True(f.State is JobState.Cancelled or JobState.Succeeded, $"fold {f.Fold} is {f.State}"));
        Assert.Contains(after.Folds, f => f.State == JobState.Cancelled);
    }

    private async Task<List<JobUpdate>> WatchToEndAsync(string jobId)
    {
        var updates = new List<JobUpdate>();
        using var watch = Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(5));
        await foreach (var update in watch.ResponseStream.ReadAllAsync()) updates.Add(update);
        return updates;
    }
}
