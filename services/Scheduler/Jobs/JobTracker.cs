using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Applies a change to a job (a worker's report, a cancellation, an expired lease): load, let the
/// <see cref="TrainingJob"/> state machine decide, save the change with its event, wake watchers, publish
/// <see cref="TrainingJobStateChanged"/> when the state or attempt moved, and wake the dispatch pass when a slot
/// was freed. Changes of one job arrive on different queues and replicas at the same time: each is applied under
/// the job's row lock, so they queue up instead of colliding; the row's version token still turns a lost update
/// by any other writer into a conflict, and the change is then re-applied to the fresh row.
/// </summary>
public sealed class JobTracker(
    SchedulerDbContext db,
    JobWatchNotifier notifier,
    DispatchSignal dispatch,
    IPublishEndpoint publisher,
    ILogger<JobTracker> logger)
{
    private const int MaxConflicts = 5;

    /// <summary>
    /// Applies <paramref name="change"/> (which returns false when it changes nothing) to the job.
    /// Returns whether the job changed. A change for an unknown job is logged and dropped.
    /// </summary>
    public async Task<bool> ApplyAsync(Guid jobId, string report, Func<TrainingJob, bool> change, CancellationToken cancellationToken) =>
        await ApplyAndReadAsync(jobId, report, change, cancellationToken) is { Changed: true };

    /// <summary>
    /// As <see cref="ApplyAsync"/>, and returns the job as it was committed (or, when the change changed nothing, as it was
    /// read under the row lock), or null for an unknown job: a caller that answers from the job's state needs no second read.
    /// </summary>
    public async Task<(TrainingJob? Job, bool Changed)> ApplyAndReadAsync(
        Guid jobId, string report, Func<TrainingJob, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var strategy = db.Database.CreateExecutionStrategy();
        for (var conflicts = 0; ; conflicts++)
        {
            Applied? applied;
            try
            {
                // Npgsql retries transient errors, which needs the whole transaction as one retriable unit.
                applied = await strategy.ExecuteAsync(() => ApplyOnceAsync(jobId, change, cancellationToken));
            }
            catch (DbUpdateException ex) when (conflicts < MaxConflicts)
            {
                // Only a writer that does not take the row lock first (the dispatch pass claiming a job) gets here.
                logger.LogDebug(ex, "Concurrent update of job {JobId} while applying {Report}; retrying", jobId, report);
                continue;
            }

            if (applied is null)
            {
                logger.LogWarning("Dropped {Report} for unknown job {JobId}", report, jobId);
                return (null, false);
            }
            var job = applied.Job;
            if (!applied.Changed)
            {
                logger.LogDebug("Ignored {Report} for job {JobId} (state {State}, attempt {Attempt}): duplicate, stale or too late",
                    report, jobId, job.State, job.Attempt);
                return (job, false);
            }

            notifier.Notify(jobId);
            if (applied.HeldSlot && !job.HoldsSlot) dispatch.Wake();
            if (applied.State != job.State || applied.Attempt != job.Attempt) await PublishChangeAsync(job, cancellationToken);
            if (applied.HeldSlot && job.State is JobState.Cancelled or JobState.TimedOut)
                await PublishStopAsync(new AttemptToStop(job.Id, applied.Attempt, job.State == JobState.Cancelled ? "cancelled" : "timed_out"), cancellationToken);
            return (job, true);
        }
    }

    /// <summary>What one application did: the job as it is now, and its state, attempt and slot before.</summary>
    private sealed record Applied(TrainingJob Job, bool Changed, JobState State, int Attempt, bool HeldSlot);

    /// <summary>
    /// Load, change and save in one transaction that holds the job's row lock from the read on, so two reports of the same
    /// job (a worker's Started and its commit request arrive together) wait for each other instead of failing.
    /// </summary>
    private async Task<Applied?> ApplyOnceAsync(Guid jobId, Func<TrainingJob, bool> change, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockAsync(jobId, cancellationToken);
        if (job is null) return null;
        var (state, attempt, heldSlot) = (job.State, job.Attempt, job.HoldsSlot);
        if (!change(job)) return new Applied(job, false, state, attempt, heldSlot);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Applied(job, true, state, attempt, heldSlot);
    }

    /// <summary>
    /// Reads the job with its row locked until the transaction ends: <c>SELECT ... FOR UPDATE</c> on PostgreSQL. SQLite has
    /// no row locks; its transactions take the database's write lock at the start, which serializes writers just as well.
    /// </summary>
    private async Task<TrainingJob?> LockAsync(Guid jobId, CancellationToken cancellationToken)
    {
        // The lock by its own statement: EF Core cannot materialize the job's optional complex result from FromSql.
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM training_jobs WHERE id = {jobId} FOR UPDATE", cancellationToken);
        return await db.TrainingJobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
    }

    /// <summary>
    /// Tells the workers at once that a dispatched attempt must stop (cancelled, timed out). Best effort: a lost message
    /// only means the worker learns it from its next heartbeat's answer.
    /// </summary>
    private async Task PublishStopAsync(AttemptToStop stop, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.Publish(stop, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not publish the stop of job {JobId} attempt {Attempt}; the worker's next heartbeat carries it", stop.JobId, stop.Attempt);
        }
    }

    /// <summary>Best effort: the committed rows are the record, the event is a notification for other systems.</summary>
    private async Task PublishChangeAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        // The event row just saved, as the job appended it (no read back).
        var jobEvent = job.NewestEvent;
        try
        {
            await publisher.Publish(new TrainingJobStateChanged(job.Id, job.TenantId, job.Attempt, job.State.ToString(),
                jobEvent?.Message ?? "", jobEvent?.At ?? DateTimeOffset.MinValue), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not publish the state change of job {JobId}", job.Id);
        }
    }
}
