using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Jobs;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>The consumers of worker reports, through MassTransit's in-memory harness.</summary>
public sealed class WorkerReportTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 9, 0, 5, TimeSpan.Zero);
    private SchedulerTestHost _host = null!;
    private Job _job = null!;
    private Guid _id;

    public async Task InitializeAsync()
    {
        _host = await SchedulerTestHost.StartAsync();
        _job = await _host.SubmitPenguinsAsync();
        _id = Guid.Parse(_job.Id);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<Job> Current() => _host.GetAsync(_job.Id);

    private Task<int> EventCount() => _host.QueryAsync(db => db.JobEvents.CountAsync(e => e.JobId == _id));

    private TrainingJobCompleted Completed(int attempt = 1, DateTimeOffset? at = null) => new()
    {
        JobId = _id,
        Attempt = attempt,
        ModelName = "penguins",
        ModelVersion = 3,
        ModelSha256 = new string('a', 64),
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.97, ["macro_f1"] = 0.96 },
        TrainingSeconds = 1.5,
        Worker = "worker-1",
        At = at ?? T0.AddSeconds(10),
    };

    [Fact]
    public async Task Started_makes_the_job_running_on_that_worker()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));

        var job = await Current();
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(T0, job.StartedAt.ToDateTimeOffset());
        Assert.Equal("starting", job.Stage);
        Assert.Equal(2, await EventCount());
    }

    [Fact]
    public async Task A_duplicate_start_changes_nothing()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-2", T0.AddSeconds(1)));

        var job = await Current();
        Assert.Equal(T0, job.StartedAt.ToDateTimeOffset());
        Assert.Equal(2, await EventCount());
    }

    [Fact]
    public async Task Progress_moves_the_stage_and_duplicates_or_stale_reports_are_ignored()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));
        await _host.DeliverAsync(new TrainingJobProgressed(_id, 1, "training", 0.5, "training: half way", T0.AddSeconds(2)));
        await _host.DeliverAsync(new TrainingJobProgressed(_id, 1, "training", 0.5, "training: half way", T0.AddSeconds(2)));
        await _host.DeliverAsync(new TrainingJobProgressed(_id, 1, "loading", 1.0, "loaded", T0.AddSeconds(1)));

        var job = await Current();
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal("training", job.Stage);
        Assert.Equal(0.5, job.Progress);
        Assert.Equal(3, await EventCount());
    }

    [Fact]
    public async Task Completed_makes_the_job_succeed_with_its_result()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));
        await _host.DeliverAsync(Completed());

        var job = await Current();
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(1.0, job.Progress);
        Assert.Equal(T0.AddSeconds(10), job.FinishedAt.ToDateTimeOffset());
        Assert.Equal("penguins", job.Result.ModelName);
        Assert.Equal(3, job.Result.ModelVersion);
        Assert.Equal(new string('a', 64), job.Result.ModelSha256);
        Assert.Equal(0.97, job.Result.Metrics["accuracy"]);
        Assert.Equal(1.5, job.Result.TrainingSeconds);
        Assert.Equal("worker-1", job.Result.Worker);
        Assert.Equal(3, await EventCount());
    }

    [Fact]
    public async Task Metrics_that_are_not_numbers_are_stored_and_returned()
    {
        // ML.NET gives NaN for, say, AUC on a holdout with one class; JSON has no literal for it.
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var tracker = scope.ServiceProvider.GetRequiredService<JobTracker>();
            var result = new TrainingJobResult
            {
                ModelName = "penguins", ModelVersion = 1, ModelSha256 = "", TrainingSeconds = 1,
                Metrics = new Dictionary<string, double> { ["auc"] = double.NaN, ["log_loss"] = double.PositiveInfinity },
            };
            await tracker.ApplyAsync(_id, "test", job => job.Succeed(1, result, "worker-1", T0), CancellationToken.None);
        }

        var metrics = (await Current()).Result.Metrics;
        Assert.True(double.IsNaN(metrics["auc"]));
        Assert.True(double.IsPositiveInfinity(metrics["log_loss"]));
    }

    [Fact]
    public async Task Reports_after_the_end_change_nothing()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));
        await _host.DeliverAsync(Completed());
        var finished = await Current();

        await _host.DeliverAsync(Completed());
        await _host.DeliverAsync(new TrainingJobProgressed(_id, 1, "evaluating", 0.9, "late", T0.AddSeconds(20)));
        await _host.DeliverAsync(new TrainingJobFailed(_id, 1, "late failure", false, "worker-2", T0.AddSeconds(30)));
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-3", T0.AddSeconds(40)));

        Assert.Equal(finished, await Current());
        Assert.Equal(3, await EventCount());
    }

    [Fact]
    public async Task Reports_for_another_attempt_are_ignored()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 2, "worker-1", T0));
        await _host.DeliverAsync(Completed(attempt: 2));

        Assert.Equal(JobState.Queued, (await Current()).State);
        Assert.Equal(1, await EventCount());
    }

    [Fact]
    public async Task A_completion_that_overtakes_its_start_still_records_both()
    {
        await _host.DeliverAsync(Completed());
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));

        var job = await Current();
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.NotNull(job.StartedAt);
        var states = await _host.QueryAsync(db =>
            db.JobEvents.Where(e => e.JobId == _id).OrderBy(e => e.Sequence).Select(e => e.State).ToListAsync());
        Assert.Equal([Jobs.JobState.Queued, Jobs.JobState.Running, Jobs.JobState.Succeeded], states);
    }

    [Fact]
    public async Task Failed_ends_the_job_with_the_workers_reason()
    {
        await _host.DeliverAsync(new TrainingJobStarted(_id, 1, "worker-1", T0));
        await _host.DeliverAsync(new TrainingJobFailed(_id, 1, "label column 'species' has only one class", true, "worker-1", T0.AddSeconds(3)));

        var job = await Current();
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("label column 'species' has only one class", job.FailureReason);
        Assert.Equal(T0.AddSeconds(3), job.FinishedAt.ToDateTimeOffset());
        Assert.Null(job.Result);
    }

    [Fact]
    public async Task A_report_for_an_unknown_job_is_dropped_without_faulting()
    {
        await _host.DeliverAsync(new TrainingJobStarted(Guid.NewGuid(), 1, "worker-1", T0));

        Assert.False(await _host.Harness.Consumed.Any<TrainingJobStarted>(m => m.Exception is not null));
        Assert.Equal(JobState.Queued, (await Current()).State);
    }
}
