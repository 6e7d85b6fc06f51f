using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;
using Platform.Scheduler.Workers;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// A worker's heartbeat: records its capacity (the dispatch pass counts it), renews the lease of every attempt
/// it runs that is still current, and answers with the attempts it must stop: cancelled, timed out, or
/// superseded by a newer attempt (fencing).
/// </summary>
public sealed class WorkerHeartbeatConsumer(
    SchedulerDbContext db,
    DispatchSignal dispatch,
    TimeProvider time,
    IOptions<SchedulerOptions> options,
    ILogger<WorkerHeartbeatConsumer> logger) : IConsumer<WorkerHeartbeat>
{
    public async Task Consume(ConsumeContext<WorkerHeartbeat> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var beat = context.Message;
        var now = time.GetUtcNow();
        var cancellationToken = context.CancellationToken;

        if (await RecordWorkerAsync(beat, now, cancellationToken)) dispatch.Wake();

        var leaseUntil = now + options.Value.LeaseDuration;
        var stop = new List<AttemptToStop>();
        foreach (var attempt in beat.Attempts)
        {
            // A direct update: no version bump, so heartbeats never conflict with the reports of the same job.
            // Only the worker recorded as running the attempt (or any, before its start is recorded): a duplicate
            // delivery of the command that started the attempt on a second worker is told to stop ("superseded").
            var renewed = await db.TrainingJobs
                .Where(j => j.Id == attempt.JobId && j.Attempt == attempt.Attempt && (j.State == JobState.Running || j.State == JobState.Queued)
                    && (j.Worker == null || j.Worker == beat.Worker))
                .ExecuteUpdateAsync(set => set.SetProperty(j => j.LeaseExpiresAt, leaseUntil), cancellationToken);
            if (renewed > 0) continue;

            var job = await db.TrainingJobs.AsNoTracking()
                .Where(j => j.Id == attempt.JobId)
                .Select(j => new { j.State, j.Attempt })
                .SingleOrDefaultAsync(cancellationToken);
            var reason = job?.State switch
            {
                null => "unknown job",
                JobState.Cancelled => "cancelled",
                JobState.TimedOut => "timed_out",
                _ => "superseded",
            };
            logger.LogInformation("Worker {Worker} must stop job {JobId} attempt {Attempt}: {Reason}", beat.Worker, attempt.JobId, attempt.Attempt, reason);
            stop.Add(new AttemptToStop(attempt.JobId, attempt.Attempt, reason));
        }
        await context.RespondAsync(new WorkerHeartbeatAcknowledged { Stop = stop });
    }

    /// <summary>Upserts the worker; true when it brings slots the dispatch pass has not seen yet.</summary>
    private async Task<bool> RecordWorkerAsync(WorkerHeartbeat beat, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seenSince = now - options.Value.LeaseDuration;
        var worker = await db.Workers.SingleOrDefaultAsync(w => w.Name == beat.Worker, cancellationToken);
        var newSlots = worker is null || worker.LastSeenAt < seenSince || worker.Draining || worker.Capacity < beat.Capacity;
        if (worker is null)
            db.Workers.Add(new ConnectedWorker(beat.Worker, beat.Capacity, beat.Draining, now));
        else
        {
            worker.Capacity = beat.Capacity;
            worker.Draining = beat.Draining;
            worker.LastSeenAt = now;
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Two heartbeats of a new worker raced to insert it; the next one updates the row.
            logger.LogDebug(ex, "Concurrent registration of worker {Worker}", beat.Worker);
            db.ChangeTracker.Clear();
        }
        return newSlots && !beat.Draining;
    }
}

/// <summary>
/// A worker asks whether its attempt may register its model. Granted only to the current, running attempt
/// (then the job can no longer be cancelled or time out); refused for a cancelled, timed-out or superseded one.
/// </summary>
public sealed class CommitAttemptConsumer(
    JobTracker tracker,
    TimeProvider time,
    IOptions<SchedulerOptions> options) : IConsumer<CommitAttempt>
{
    public async Task Consume(ConsumeContext<CommitAttempt> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Message;
        // Decided on the row as the grant left it under its lock (a duplicate request sees the earlier grant there), by
        // the change itself: a later change of the same job committed in the same batch must not colour the answer.
        CommitDecision? decision = null;
        await tracker.ApplyAsync(request.JobId, nameof(CommitAttempt), job =>
        {
            var changed = job.GrantCommit(request.Attempt, request.Worker, time.GetUtcNow(), options.Value.LeaseDuration, request.At);
            decision = Decide(job, request);
            return changed;
        }, context.CancellationToken);
        await context.RespondAsync(decision ?? new CommitDecision(request.JobId, request.Attempt, false, "unknown job"));
    }

    private static CommitDecision Decide(TrainingJob job, CommitAttempt request) => job switch
    {
        _ when job.IsCommitGranted(request.Attempt, request.Worker) => new CommitDecision(request.JobId, request.Attempt, true, ""),
        _ when job.Attempt != request.Attempt => new CommitDecision(request.JobId, request.Attempt, false, $"superseded by attempt {job.Attempt}"),
        _ when job.Worker is { } runner && runner != request.Worker =>
            new CommitDecision(request.JobId, request.Attempt, false, $"attempt {job.Attempt} runs on worker {runner}"),
        _ => new CommitDecision(request.JobId, request.Attempt, false, $"the job is {job.State}"),
    };
}
