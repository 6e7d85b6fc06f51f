using Platform.Contracts;

namespace Platform.Worker.Tests;

/// <summary>
/// The worker's side of <c>evaluation.parallel_folds</c>: a fold job fits and evaluates its fold, stages its scored rows in the
/// store and reports its outcome without registering anything; the job that reports the folds reads the rows back and
/// registers exactly what the serial job registers. Without the store's byte stream, it scores the folds itself, with the
/// same result.
/// </summary>
public sealed class ParallelFoldJobTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Folds_run_as_jobs_then_the_final_job_register_what_the_serial_job_registers(bool byteStream)
    {
        await using var worker = await WorkerUnderTest.StartAsync(byteStream: byteStream);
        var dataset = worker.AddPenguins();
        var evaluation = new EvaluationOptions { Folds = 3, FeatureImportance = true, Permutations = 2 };

        await worker.TrainAsync(WorkerUnderTest.Job(dataset) with { Evaluation = evaluation });
        var serial = Assert.Single(worker.Store.Data.Registrations);

        var parallel = evaluation with { ParallelFolds = true };
        var outcomes = new List<FoldOutcome>();
        foreach (var fold in new[] { 3, 1, 2 })
        {
            var foldJob = WorkerUnderTest.Job(dataset) with { Evaluation = parallel, Fold = fold, EvaluateOnly = true };
            var events = await worker.TrainAsync(foldJob);
            var completed = Assert.IsType<TrainingJobCompleted>(events[^1]);
            Assert.Equal((0, fold, foldJob.JobId), (completed.ModelVersion, completed.Fold!.Fold, completed.Fold.JobId));
            Assert.Equal(serial.Version.Metrics.Count(m => !m.Key.Contains('[') && !m.Key.EndsWith("_std", StringComparison.Ordinal)), completed.Metrics.Count);
            Assert.Equal(byteStream, completed.Fold.ScoredRows is not null);
            outcomes.Add(completed.Fold);
        }
        Assert.Single(worker.Store.Data.Registrations); // a fold registers nothing
        Assert.Equal(byteStream ? 3 : 0, worker.Store.Data.Staged.Count);

        var final = WorkerUnderTest.Job(dataset) with { Evaluation = parallel, FoldOutcomes = [.. outcomes.OrderBy(o => o.Fold)] };
        var done = Assert.IsType<TrainingJobCompleted>((await worker.TrainAsync(final))[^1]);

        var fanned = worker.Store.Data.Registrations.Last();
        Assert.Equal(serial.Version.Metrics.OrderBy(m => m.Key), fanned.Version.Metrics.OrderBy(m => m.Key));
        Assert.Equal(serial.Version.Metrics.OrderBy(m => m.Key), done.Metrics.OrderBy(m => m.Key));
        foreach (var kind in new[] { "model", "predictions", "evaluation" })
            Assert.Equal(serial.Artifacts.Single(a => a.Header.Kind == kind).Header.Sha256, fanned.Artifacts.Single(a => a.Header.Kind == kind).Header.Sha256);
        // The staged rows were read and then deleted; without them the folds were scored again.
        Assert.Empty(worker.Store.Data.Staged);
        Assert.Equal(byteStream ? 0 : 3, CountOf(worker.Logs.Text, "the final job scores the fold again"));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
