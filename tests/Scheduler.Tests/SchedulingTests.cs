using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// Dispatch order, limits, pending reasons, retries, deadlines, cancellation, leases and fencing, through the
/// scheduler's consumers, its gRPC service and supervisor passes on a fake clock (docs/scheduling.md).
/// </summary>
public sealed class SchedulingTests
{
    private static readonly SchedulerOptions Defaults = new();

    private static Task<SchedulerTestHost> StartAsync(int workerSlots, Action<SchedulerOptions>? configure = null) =>
        SchedulerTestHost.StartAsync(services => services.Configure<SchedulerOptions>(o => configure?.Invoke(o)), workerSlots);

    private static async Task<Job> SubmitAsync(SchedulerTestHost host, string tenant = "default", int priority = 0, int maxRunSeconds = 0, string queue = "")
    {
        var request = TestJobs.Request(host.ModelStore.AddPenguins(tenant));
        request.Spec.Priority = priority;
        request.Spec.MaxRunSeconds = maxRunSeconds;
        request.Spec.Queue = queue;
        // Submission time decides the order within a priority: keep the jobs of a test apart.
        host.Clock.Advance(TimeSpan.FromMilliseconds(1));
        return await host.SubmitAsync(request, tenant);
    }

    private static async Task StartAsync(SchedulerTestHost host, Job job, int attempt = 1) =>
        await host.DeliverAsync(new TrainingJobStarted(Guid.Parse(job.Id), attempt, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));

    private static TrainingJobCompleted Completed(Job job, int attempt, DateTimeOffset at) => new()
    {
        JobId = Guid.Parse(job.Id), Attempt = attempt, ModelName = "penguins", ModelVersion = attempt, ModelSha256 = new string('a', 64),
        TrainingSeconds = 1, Worker = SchedulerTestHost.WorkerName, At = at,
    };

    private static async Task FinishAsync(SchedulerTestHost host, Job job, int attempt = 1)
    {
        await StartAsync(host, job, attempt);
        await host.DeliverAsync(Completed(job, attempt, host.Clock.GetUtcNow()));
    }

    private static List<string> DispatchOrder(SchedulerTestHost host) => [.. host.PublishedOf<TrainModel>().Select(c => c.JobId.ToString())];

    [Fact]
    public async Task Higher_priority_jobs_are_dispatched_first_and_equal_ones_in_submission_order()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var first = await SubmitAsync(host, priority: 0); // takes the one slot at once
        var low = await SubmitAsync(host, priority: 0);
        var high = await SubmitAsync(host, priority: 10);
        var highLater = await SubmitAsync(host, priority: 10);
        var middle = await SubmitAsync(host, priority: 5);
        Assert.Equal([first.Id], DispatchOrder(host));

        foreach (var job in new[] { first, high, highLater, middle })
        {
            var dispatched = DispatchOrder(host)[^1];
            Assert.Equal(job.Id, dispatched);
            await FinishAsync(host, job);
        }

        Assert.Equal([first.Id, high.Id, highLater.Id, middle.Id, low.Id], DispatchOrder(host));
    }

    [Fact]
    public async Task A_tenant_at_its_limit_waits_while_other_tenants_use_the_free_slots()
    {
        await using var host = await StartAsync(workerSlots: 4, o => o.Limits.PerTenant = 1);
        var acme1 = await SubmitAsync(host, "acme");
        var acme2 = await SubmitAsync(host, "acme");
        var globex = await SubmitAsync(host, "globex");

        Assert.Equal([acme1.Id, globex.Id], DispatchOrder(host));
        var pending = (await host.GetAsync(acme2.Id, "acme")).Pending;
        Assert.Equal("tenant", pending.Limit);
        Assert.Contains("1 of 1 jobs of tenant acme", pending.Reason, StringComparison.Ordinal);
        Assert.False(pending.WorkersBusy);

        await FinishAsync(host, acme1);

        Assert.Equal([acme1.Id, globex.Id, acme2.Id], DispatchOrder(host));
    }

    [Fact]
    public async Task A_named_queue_limit_holds_its_jobs_only()
    {
        await using var host = await StartAsync(workerSlots: 4, o => o.Limits.Queues["gpu"] = 1);
        var gpu1 = await SubmitAsync(host, queue: "gpu");
        var gpu2 = await SubmitAsync(host, queue: "gpu");
        var cpu = await SubmitAsync(host);

        Assert.Equal([gpu1.Id, cpu.Id], DispatchOrder(host));
        Assert.Equal("queue", (await host.GetAsync(gpu2.Id)).Pending.Limit);
    }

    [Fact]
    public async Task A_pending_job_says_where_it_is_in_line_and_that_the_workers_are_busy()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var running = await SubmitAsync(host);
        var next = await SubmitAsync(host);
        var after = await SubmitAsync(host);

        var first = (await host.GetAsync(next.Id)).Pending;
        var second = (await host.GetAsync(after.Id)).Pending;

        Assert.Equal((0, true, ""), (first.Position, first.WorkersBusy, first.Limit));
        Assert.Equal(1, second.Position);
        Assert.Contains("all 1 worker slots are busy", second.Reason, StringComparison.Ordinal);
        Assert.Null(second.EstimatedStart); // nothing has run yet: no basis for an estimate
        Assert.True((await host.GetAsync(running.Id)).Pending.Dispatched);
    }

    [Fact]
    public async Task The_estimated_start_follows_from_recent_run_times()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var done = await SubmitAsync(host);
        await StartAsync(host, done);
        host.Clock.Advance(TimeSpan.FromMinutes(10));
        await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(Guid.Parse(done.Id), 1, "training", 0.5)]);
        await host.DeliverAsync(Completed(done, 1, host.Clock.GetUtcNow()));
        await SubmitAsync(host); // takes the slot
        var waiting = await SubmitAsync(host);

        var pending = (await host.GetAsync(waiting.Id)).Pending;

        // One ten-minute job ahead of it on one slot.
        Assert.Equal(host.Clock.GetUtcNow() + TimeSpan.FromMinutes(10), pending.EstimatedStart.ToDateTimeOffset());
    }

    [Fact]
    public async Task Without_a_connected_worker_nothing_is_dispatched_and_the_pending_reason_says_so()
    {
        await using var host = await StartAsync(workerSlots: 0);
        var job = await SubmitAsync(host);

        Assert.Empty(host.PublishedOf<TrainModel>());
        var pending = (await host.GetAsync(job.Id)).Pending;
        Assert.StartsWith("no worker is connected; once started it should run about ", pending.Reason, StringComparison.Ordinal);
        Assert.True(pending.WorkersBusy);

        await host.HeartbeatAsync("worker-2", 2);
        await host.SuperviseAsync();

        Assert.Single(host.DispatchesOf(job.Id));
        Assert.True((await host.GetAsync(job.Id)).Pending.Dispatched);
    }

    [Fact]
    public async Task A_draining_worker_gets_no_new_work()
    {
        await using var host = await StartAsync(workerSlots: 0);
        await host.HeartbeatAsync("worker-2", 2, draining: true);

        await SubmitAsync(host);

        Assert.Empty(host.PublishedOf<TrainModel>());
    }

    [Fact]
    public async Task A_transient_failure_is_retried_after_a_backoff_as_a_new_attempt()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        await StartAsync(host, job);

        await host.DeliverAsync(new TrainingJobFailed(Guid.Parse(job.Id), 1, "model store unavailable", false, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));

        var retrying = await host.GetAsync(job.Id);
        Assert.Equal((JobState.Queued, 2, ""), (retrying.State, retrying.Attempt, retrying.FailureReason));
        Assert.Equal(host.Clock.GetUtcNow() + Defaults.RetryBackoff, retrying.Pending.EstimatedStart.ToDateTimeOffset());
        Assert.Contains("model store unavailable", retrying.Pending.Reason, StringComparison.Ordinal);
        Assert.Single(host.DispatchesOf(job.Id)); // the timer has not fired

        host.Clock.Advance(Defaults.RetryBackoff);
        await host.SuperviseAsync();

        Assert.Equal([1, 2], host.DispatchesOf(job.Id).Select(c => c.Attempt));
        await FinishAsync(host, job, attempt: 2);
        Assert.Equal(JobState.Succeeded, (await host.GetAsync(job.Id)).State);
    }

    [Fact]
    public async Task Transient_failures_back_off_exponentially_and_end_the_job_after_the_last_attempt()
    {
        await using var host = await StartAsync(workerSlots: 1, o => o.MaxAttempts = 3);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        var waits = new List<TimeSpan>();

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await StartAsync(host, job, attempt);
            await host.DeliverAsync(new TrainingJobFailed(id, attempt, $"broker hiccup {attempt}", false, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
            var current = await host.GetAsync(job.Id);
            if (current.State != JobState.Queued) break;
            var wait = current.Pending.EstimatedStart.ToDateTimeOffset() - host.Clock.GetUtcNow();
            waits.Add(wait);
            host.Clock.Advance(wait);
            await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1);
            await host.SuperviseAsync();
        }

        var failed = await host.GetAsync(job.Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("broker hiccup 3", failed.FailureReason);
        Assert.Equal([Defaults.RetryBackoff, Defaults.RetryBackoff * 2], waits);
        Assert.Equal(3, host.DispatchesOf(job.Id).Count);
    }

    [Fact]
    public async Task A_permanent_failure_ends_the_job_at_once_without_a_retry()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        await StartAsync(host, job);

        await host.DeliverAsync(new TrainingJobFailed(Guid.Parse(job.Id), 1, "label column 'species' has one class", true, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
        host.Clock.Advance(TimeSpan.FromHours(1));
        await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1);
        await host.SuperviseAsync();

        var failed = await host.GetAsync(job.Id);
        Assert.Equal((JobState.Failed, 1, "label column 'species' has one class"), (failed.State, failed.Attempt, failed.FailureReason));
        Assert.Single(host.DispatchesOf(job.Id));
    }

    [Fact]
    public async Task A_job_running_past_its_limit_times_out_and_its_worker_is_told_to_stop()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host, maxRunSeconds: 50);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);
        RunningAttempt[] running = [new(id, 1, "training", 0.3)];

        host.Clock.Advance(TimeSpan.FromSeconds(25));
        await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, running);
        await host.SuperviseAsync();
        Assert.Equal(JobState.Running, (await host.GetAsync(job.Id)).State);

        host.Clock.Advance(TimeSpan.FromSeconds(25));
        await host.SuperviseAsync();

        var timedOut = await host.GetAsync(job.Id);
        Assert.Equal(JobState.TimedOut, timedOut.State);
        Assert.Contains("50 s", timedOut.FailureReason, StringComparison.Ordinal);
        Assert.Equal(new AttemptToStop(id, 1, "timed_out"), Assert.Single(host.PublishedOf<AttemptToStop>()));
        var stop = Assert.Single((await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, running)).Stop);
        Assert.Equal((id, 1, "timed_out"), (stop.JobId, stop.Attempt, stop.Reason));
        Assert.False((await host.AskToCommitAsync(id, 1)).Allowed);
    }

    [Fact]
    public async Task Cancelling_a_running_job_ends_it_stops_its_worker_and_refuses_its_model()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);

        var cancelled = await host.CancelAsync(job.Id, reason: "wrong data set");

        Assert.Equal(JobState.Cancelled, cancelled.State);
        // Told at once (published to every worker) and again in the worker's next heartbeat answer.
        Assert.Equal(new AttemptToStop(id, 1, "cancelled"), Assert.Single(host.PublishedOf<AttemptToStop>()));
        var stop = Assert.Single((await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(id, 1, "training", 0.5)])).Stop);
        Assert.Equal("cancelled", stop.Reason);
        var refused = await host.AskToCommitAsync(id, 1);
        Assert.False(refused.Allowed);
        // A completion that raced the cancellation changes nothing.
        await host.DeliverAsync(Completed(job, 1, host.Clock.GetUtcNow()));
        var final = await host.GetAsync(job.Id);
        Assert.Equal(JobState.Cancelled, final.State);
        Assert.Null(final.Result);
        Assert.Contains("wrong data set", await host.QueryAsync(db => db.JobEvents.OrderBy(e => e.Id).Select(e => e.Message).LastAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_frees_its_place_and_a_second_cancel_changes_nothing()
    {
        await using var host = await StartAsync(workerSlots: 1);
        await SubmitAsync(host);
        var waiting = await SubmitAsync(host);

        Assert.Equal(JobState.Cancelled, (await host.CancelAsync(waiting.Id)).State);
        var again = await host.CancelAsync(waiting.Id);

        Assert.Equal(JobState.Cancelled, again.State);
        Assert.Equal(2, await host.QueryAsync(db => db.JobEvents.CountAsync(e => e.JobId == Guid.Parse(waiting.Id))));
        Assert.Empty(host.DispatchesOf(waiting.Id));
        Assert.Empty(host.PublishedOf<AttemptToStop>()); // no worker runs it
    }

    [Fact]
    public async Task A_job_registering_its_model_can_no_longer_be_cancelled()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        await StartAsync(host, job);
        Assert.True((await host.AskToCommitAsync(Guid.Parse(job.Id), 1)).Allowed);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.CancelAsync(job.Id));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(JobState.Running, (await host.GetAsync(job.Id)).State);
    }

    [Fact]
    public async Task A_second_worker_running_the_same_attempt_from_a_duplicate_command_is_stopped_and_refused_the_commit()
    {
        await using var host = await StartAsync(workerSlots: 2);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);
        // A copy of the command (a duplicate delivery) started attempt 1 on worker-2 as well.
        await host.DeliverAsync(new TrainingJobStarted(id, 1, "worker-2", host.Clock.GetUtcNow()));

        var stop = Assert.Single((await host.HeartbeatAsync("worker-2", 1, [new RunningAttempt(id, 1, "training", 0.5)])).Stop);
        Assert.Equal("superseded", stop.Reason);
        var refused = await host.AskToCommitAsync(id, 1, "worker-2");
        Assert.False(refused.Allowed);
        Assert.Contains(SchedulerTestHost.WorkerName, refused.Reason, StringComparison.Ordinal);
        Assert.Empty((await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(id, 1, "training", 0.6)])).Stop);
        Assert.True((await host.AskToCommitAsync(id, 1)).Allowed);
    }

    [Fact]
    public async Task A_lost_worker_s_attempt_is_run_again_and_its_late_results_are_fenced()
    {
        await using var host = await StartAsync(workerSlots: 2);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);

        // No heartbeat from the worker for a whole lease; another worker keeps its own alive.
        host.Clock.Advance(Defaults.LeaseDuration + TimeSpan.FromSeconds(1));
        await host.HeartbeatAsync("worker-2", 1);
        await host.SuperviseAsync();
        var retrying = await host.GetAsync(job.Id);
        Assert.Equal((JobState.Queued, 2), (retrying.State, retrying.Attempt));

        host.Clock.Advance(Defaults.RetryBackoff);
        await host.HeartbeatAsync("worker-2", 1);
        await host.SuperviseAsync();
        Assert.Equal([1, 2], host.DispatchesOf(job.Id).Select(c => c.Attempt));
        await host.DeliverAsync(new TrainingJobStarted(id, 2, "worker-2", host.Clock.GetUtcNow()));

        // The first worker was only partitioned: everything it says now is about a superseded attempt.
        var stop = Assert.Single((await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(id, 1, "training", 0.9)])).Stop);
        Assert.Equal("superseded", stop.Reason);
        var refused = await host.AskToCommitAsync(id, 1);
        Assert.False(refused.Allowed);
        Assert.Contains("attempt 2", refused.Reason, StringComparison.Ordinal);
        await host.DeliverAsync(Completed(job, 1, host.Clock.GetUtcNow()));
        Assert.Equal(JobState.Running, (await host.GetAsync(job.Id)).State);

        Assert.True((await host.AskToCommitAsync(id, 2, "worker-2")).Allowed);
        await host.DeliverAsync(Completed(job, 2, host.Clock.GetUtcNow()) with { Worker = "worker-2" });
        var done = await host.GetAsync(job.Id);
        Assert.Equal((JobState.Succeeded, 2, 2), (done.State, done.Attempt, done.Result.ModelVersion));
    }

    [Fact]
    public async Task Heartbeats_keep_a_long_attempt_alive_far_beyond_one_lease()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);

        for (var beat = 0; beat < 20; beat++)
        {
            host.Clock.Advance(Defaults.LeaseDuration / 2);
            Assert.Empty((await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(id, 1, "training", beat / 20.0)])).Stop);
            await host.SuperviseAsync();
        }

        var job2 = await host.GetAsync(job.Id);
        Assert.Equal((JobState.Running, 1), (job2.State, job2.Attempt));
        Assert.Single(host.DispatchesOf(job.Id));
    }

    [Fact]
    public async Task A_command_nobody_takes_up_is_dispatched_again_as_a_new_attempt()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);

        host.Clock.Advance(Defaults.LeaseDuration + TimeSpan.FromSeconds(1));
        await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1);
        await host.SuperviseAsync();
        host.Clock.Advance(Defaults.RetryBackoff);
        await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1);
        await host.SuperviseAsync();

        Assert.Equal([1, 2], host.DispatchesOf(job.Id).Select(c => c.Attempt));
    }

    [Fact]
    public async Task A_handed_back_attempt_is_dispatched_again_at_once_and_does_not_count_as_a_failure()
    {
        await using var host = await StartAsync(workerSlots: 1, o => o.MaxAttempts = 1);
        var job = await SubmitAsync(host);
        var id = Guid.Parse(job.Id);
        await StartAsync(host, job);

        await host.DeliverAsync(new TrainingJobReleased(id, 1, SchedulerTestHost.WorkerName, "worker shutting down", host.Clock.GetUtcNow()));
        await host.DeliverAsync(new TrainingJobReleased(id, 1, SchedulerTestHost.WorkerName, "worker shutting down", host.Clock.GetUtcNow()));

        Assert.Equal([1, 2], host.DispatchesOf(job.Id).Select(c => c.Attempt));
        await FinishAsync(host, job, attempt: 2);
        Assert.Equal(JobState.Succeeded, (await host.GetAsync(job.Id)).State);
    }

    [Fact]
    public async Task Every_state_change_is_published_as_an_event()
    {
        await using var host = await StartAsync(workerSlots: 1);
        var job = await SubmitAsync(host);
        await StartAsync(host, job);
        await host.DeliverAsync(new TrainingJobFailed(Guid.Parse(job.Id), 1, "hiccup", false, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
        await host.CancelAsync(job.Id);

        var changes = host.PublishedOf<TrainingJobStateChanged>().Where(e => e.JobId == Guid.Parse(job.Id)).ToList();

        Assert.Equal([("Running", 1), ("Queued", 2), ("Cancelled", 2)], changes.Select(c => (c.State, c.Attempt)));
        Assert.All(changes, c => Assert.False(string.IsNullOrEmpty(c.Reason)));
    }
}
