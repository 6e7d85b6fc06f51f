using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Jobs;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// A cross-validation whose folds run as jobs of their own (<c>evaluation.parallel_folds</c>): the scheduler queues one
/// evaluate-only job per fold, dispatches them like any job, and queues the job itself, with the folds' outcomes, once every
/// fold has succeeded; a fold that fails fails the job, and cancelling the job cancels its folds.
/// </summary>
public sealed class ParallelFoldTests : IAsyncDisposable
{
    private SchedulerTestHost _host = null!;

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task<Job> SubmitAsync(int folds = 5, Action<SchedulerOptions>? options = null, int workerSlots = 100)
    {
        _host = await SchedulerTestHost.StartAsync(services => services.Configure<SchedulerOptions>(o => options?.Invoke(o)), workerSlots);
        var request = TestJobs.Request(_host.ModelStore.AddPenguins());
        request.Spec.Evaluation = new EvaluationSpec { Folds = folds, ParallelFolds = true, FeatureImportance = true };
        return await _host.SubmitAsync(request);
    }

    [Fact]
    public async Task The_job_queues_one_evaluate_only_job_per_fold_in_its_place_and_waits_for_them_without_a_slot()
    {
        var job = await SubmitAsync();

        var folds = await FoldsOf(job.Id);
        Assert.Equal([1, 2, 3, 4, 5], folds.Select(f => f.Fold!.Value));
        Assert.All(folds, f => Assert.Equal((true, JobSources.Fold, Guid.Parse(job.Id), job.CreatedAt.ToDateTimeOffset()),
            (f.EvaluateOnly, f.Source, f.ParentJobId!.Value, f.CreatedAt)));
        // Each fold is handed to a worker as the job's spec with its fold; the job itself is not.
        var commands = _host.PublishedOf<TrainModel>();
        Assert.Equal([1, 2, 3, 4, 5], commands.Select(c => c.Fold!.Value).Order());
        Assert.All(commands, c => Assert.Equal((true, 5, true), (c.EvaluateOnly, c.Evaluation!.Folds, c.Evaluation.ParallelFolds)));
        Assert.Empty(_host.DispatchesOf(job.Id));

        var shown = await _host.GetAsync(job.Id);
        Assert.Equal((JobState.Queued, TrainingJob.Stages.Folds), (shown.State, shown.Stage));
        Assert.Equal(folds.Select(f => (f.Fold!.Value, f.Id.ToString())), shown.Folds.Select(f => (f.Fold, f.JobId)));
        Assert.Contains("its folds run as jobs of their own: 0 of 5 succeeded", shown.Pending.Reason, StringComparison.Ordinal);
        var fold = await _host.GetAsync(folds[2].Id.ToString());
        Assert.Equal((job.Id, 3, "fold"), (fold.ParentJobId, fold.Fold, fold.Source));

        // Another pass stores nothing more.
        await _host.SuperviseAsync();
        Assert.Equal(5, (await FoldsOf(job.Id)).Count);
    }

    [Fact]
    public async Task Once_every_fold_succeeded_the_job_is_dispatched_with_their_outcomes_in_fold_order_exactly_as_reported()
    {
        var job = await SubmitAsync(folds: 3);
        var folds = await FoldsOf(job.Id);

        // Out of order, as workers finish; figures whose last bits matter.
        foreach (var fold in folds.OrderByDescending(f => f.Fold))
        {
            Assert.Empty(_host.DispatchesOf(job.Id));
            await CompleteFoldAsync(fold.Id, Outcome(fold.Fold!.Value));
        }

        var command = Assert.Single(_host.DispatchesOf(job.Id));
        Assert.Equal((false, (int?)null), (command.EvaluateOnly, command.Fold));
        Assert.Equal(folds.Select(f => (f.Fold!.Value, f.Id)), command.FoldOutcomes.Select(o => (o.Fold, o.JobId)));
        for (var i = 0; i < 3; i++)
        {
            var expected = Outcome(i + 1);
            var actual = command.FoldOutcomes[i];
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Metrics["accuracy"]), BitConverter.DoubleToInt64Bits(actual.Metrics["accuracy"]));
            Assert.Equal(expected.ConfusionCounts.SelectMany(r => r), actual.ConfusionCounts.SelectMany(r => r));
            Assert.Equal(expected.ImportanceDrops["bill_length_mm"], actual.ImportanceDrops["bill_length_mm"]);
            Assert.Equal(expected.ScoredRows, actual.ScoredRows);
        }

        // The job's history says where its folds went.
        var history = await EventsOf(job.Id);
        Assert.Contains(history, m => m.StartsWith("3 folds queued as jobs of their own: fold 1 job ", StringComparison.Ordinal));
        Assert.Contains("1 of 3 folds succeeded (fold 3)", history);
        Assert.Contains("2 of 3 folds succeeded (fold 2, 3)", history);
        Assert.Contains("all 3 folds succeeded; queued to fit the model on every row and report the folds", history);
        Assert.True((await _host.GetAsync(job.Id)).Folds.All(f => f.State == JobState.Succeeded));
    }

    [Fact]
    public async Task A_fold_that_fails_for_good_fails_the_job_with_its_reason_and_the_other_folds_stop()
    {
        var job = await SubmitAsync();
        var folds = await FoldsOf(job.Id);
        await _host.DeliverAsync(new TrainingJobStarted(folds[0].Id, 1, SchedulerTestHost.WorkerName, _host.Clock.GetUtcNow()));
        await CompleteFoldAsync(folds[1].Id, Outcome(2));

        const string Reason = "The evaluated rows of fold 3 hold a single class of 'species' ('Adelie')";
        await _host.DeliverAsync(new TrainingJobFailed(folds[2].Id, 1, Reason, Permanent: true, SchedulerTestHost.WorkerName, _host.Clock.GetUtcNow()));

        var failed = await _host.GetAsync(job.Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal($"fold 3 (job {folds[2].Id}) failed: {Reason}", failed.FailureReason);
        Assert.Equal([JobState.Cancelled, JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.Cancelled],
            failed.Folds.Select(f => f.State));
        // The fold that had started is told to stop at once.
        Assert.Contains(_host.PublishedOf<AttemptToStop>(), s => s.JobId == folds[0].Id);
        Assert.Empty(_host.DispatchesOf(job.Id));
    }

    [Fact]
    public async Task A_fold_that_fails_transiently_is_retried_like_any_job_and_the_job_waits()
    {
        var job = await SubmitAsync(folds: 2);
        var folds = await FoldsOf(job.Id);

        await _host.DeliverAsync(new TrainingJobFailed(folds[0].Id, 1, "worker ran out of memory", Permanent: false, SchedulerTestHost.WorkerName, _host.Clock.GetUtcNow()));
        _host.Clock.Advance(new SchedulerOptions().RetryBackoff);
        await _host.SuperviseAsync();

        Assert.Equal(2, _host.DispatchesOf(folds[0].Id.ToString()).Count);
        Assert.Equal(JobState.Queued, (await _host.GetAsync(job.Id)).State);
        await CompleteFoldAsync(folds[0].Id, Outcome(1), attempt: 2);
        await CompleteFoldAsync(folds[1].Id, Outcome(2));
        Assert.Single(_host.DispatchesOf(job.Id));
    }

    [Fact]
    public async Task Cancelling_the_job_cancels_its_folds_and_stops_their_workers()
    {
        var job = await SubmitAsync(folds: 3);
        var folds = await FoldsOf(job.Id);
        await _host.DeliverAsync(new TrainingJobStarted(folds[1].Id, 1, SchedulerTestHost.WorkerName, _host.Clock.GetUtcNow()));

        var cancelled = await _host.CancelAsync(job.Id, reason: "wrong label");

        Assert.Equal(JobState.Cancelled, cancelled.State);
        var shown = await _host.GetAsync(job.Id);
        Assert.All(shown.Folds, f => Assert.Equal(JobState.Cancelled, f.State));
        Assert.Equal(folds.Select(f => f.Id).Order(), _host.PublishedOf<AttemptToStop>().Select(s => s.JobId).Order());
    }

    [Fact]
    public async Task Folds_take_worker_slots_under_the_tenants_limit_like_any_job()
    {
        var job = await SubmitAsync(folds: 4, options: o => o.Limits.PerTenant = 2);
        var folds = await FoldsOf(job.Id);

        Assert.Equal([1, 2], _host.PublishedOf<TrainModel>().Select(c => c.Fold!.Value));
        await CompleteFoldAsync(folds[0].Id, Outcome(1));
        Assert.Equal([1, 2, 3], _host.PublishedOf<TrainModel>().Select(c => c.Fold!.Value));
        var waiting = await _host.GetAsync(folds[3].Id.ToString());
        Assert.Equal("tenant", waiting.Pending.Limit);
    }

    [Fact]
    public async Task Parallel_folds_without_a_cross_validation_are_refused_naming_the_field_and_store_nothing()
    {
        _host = await SchedulerTestHost.StartAsync();
        var request = TestJobs.Request(_host.ModelStore.AddPenguins());
        request.Spec.Evaluation = new EvaluationSpec { ParallelFolds = true };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("spec.evaluation.parallel_folds: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
    }

    [Fact]
    public async Task A_sweep_whose_trials_cross_validate_with_parallel_folds_fans_each_trial_out_and_counts_it_once()
    {
        _host = await SchedulerTestHost.StartAsync();
        var spec = Sweeps.SweepHost.Spec(_host.ModelStore.AddPenguins(), maxTrials: 1, maxParallel: 1);
        spec.Base.Evaluation = new EvaluationSpec { Folds = 2, ParallelFolds = true };
        var sweep = await Sweeps.SweepHost.SubmitSweepAsync(_host, spec);
        await Sweeps.SweepHost.AdvanceAsync(_host);

        var trial = Assert.Single(await Sweeps.SweepHost.ActiveJobsAsync(_host, sweep.Id));
        var folds = await FoldsOf(trial.Id.ToString());
        Assert.Equal([1, 2], folds.Select(f => f.Fold!.Value));
        Assert.All(folds, f => Assert.Null(f.SweepId)); // folds are the trial's, not trials of the sweep
        foreach (var fold in folds) await CompleteFoldAsync(fold.Id, Outcome(fold.Fold!.Value));
        var command = Assert.Single(_host.DispatchesOf(trial.Id.ToString()));
        Assert.Equal((true, 2), (command.EvaluateOnly, command.FoldOutcomes.Count));

        await Sweeps.SweepHost.CompleteAsync(_host, trial.Id, 0.97);
        await Sweeps.SweepHost.AdvanceAsync(_host);
        var shown = await Sweeps.SweepHost.GetSweepAsync(_host, sweep.Id);
        Assert.Equal((1, 0.97), (shown.Trials.Count, shown.Trials[0].Objective));
        // The final job trains the best trial's spec again, folds in parallel included.
        Assert.Equal(2, (await FoldsOf(shown.FinalJobId)).Count);
    }

    /// <summary>A fold's outcome with figures whose last bits matter (0.1 + 0.2, a third). (The test bus, unlike the platform's, writes no NaN.)</summary>
    private static FoldOutcome Outcome(int fold) => new()
    {
        Fold = fold,
        TrainingRows = 80,
        EvaluatedRows = 20,
        Metrics = new Dictionary<string, double> { ["accuracy"] = fold / 3.0 + 0.1 + 0.2, ["log_loss"] = Math.PI / fold },
        ConfusionCounts = [[9, fold], [2, 8]],
        ImportanceDrops = new Dictionary<string, IReadOnlyList<double>> { ["bill_length_mm"] = [0.1 + 0.2, 1 / 3.0 * fold] },
        ScoredRows = new StagedFoldRows($"{fold:x32}", new string('c', 64), 640),
    };

    private Task CompleteFoldAsync(Guid jobId, FoldOutcome outcome, int attempt = 1) => _host.DeliverAsync(new TrainingJobCompleted
    {
        JobId = jobId,
        Attempt = attempt,
        ModelName = "penguins",
        ModelVersion = 0,
        ModelSha256 = "",
        Metrics = outcome.Metrics,
        Fold = outcome with { JobId = jobId },
        TrainingSeconds = 0.1,
        Worker = SchedulerTestHost.WorkerName,
        At = _host.Clock.GetUtcNow(),
    });

    private Task<List<TrainingJob>> FoldsOf(string jobId) => _host.QueryAsync(db =>
        db.TrainingJobs.AsNoTracking().Where(j => j.ParentJobId == Guid.Parse(jobId)).OrderBy(j => j.Fold).ToListAsync());

    private Task<List<string>> EventsOf(string jobId) => _host.QueryAsync(db =>
        db.JobEvents.AsNoTracking().Where(e => e.JobId == Guid.Parse(jobId)).OrderBy(e => e.Sequence).Select(e => e.Message).ToListAsync());
}
