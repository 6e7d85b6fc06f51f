using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Applies a change to a job (a worker's report, a cancellation, an expired lease): load, let the
/// <see cref="TrainingJob"/> state machine decide, save the change with its event, wake watchers, publish
/// <see cref="TrainingJobStateChanged"/> when the state or attempt moved, and wake the dispatch pass when a slot
/// was freed. Changes of one job arrive on different queues and replicas at the same time; the row's version
/// token turns a lost update into a conflict, and the change is re-applied to the fresh row.
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
    public async Task<bool> ApplyAsync(Guid jobId, string report, Func<TrainingJob, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var conflicts = 0; ; conflicts++)
        {
            var job = await db.TrainingJobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
            if (job is null)
            {
                logger.LogWarning("Dropped {Report} for unknown job {JobId}", report, jobId);
                return false;
            }
            var (state, attempt, heldSlot, sequence) = (job.State, job.Attempt, job.HoldsSlot, job.LastSequence);
            if (!change(job))
            {
                logger.LogDebug("Ignored {Report} for job {JobId} (state {State}, attempt {Attempt}): duplicate, stale or too late",
                    report, jobId, job.State, job.Attempt);
                return false;
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException ex) when (conflicts < MaxConflicts)
            {
                logger.LogDebug(ex, "Concurrent update of job {JobId} while applying {Report}; retrying", jobId, report);
                db.ChangeTracker.Clear();
                continue;
            }

            notifier.Notify(jobId);
            if (heldSlot && !job.HoldsSlot) dispatch.Wake();
            if (state != job.State || attempt != job.Attempt) await PublishChangeAsync(job, sequence, cancellationToken);
            return true;
        }
    }

    /// <summary>Best effort: the committed rows are the record, the event is a notification for other systems.</summary>
    private async Task PublishChangeAsync(TrainingJob job, int previousSequence, CancellationToken cancellationToken)
    {
        var jobEvent = await db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == job.Id && e.Sequence > previousSequence)
            .OrderByDescending(e => e.Sequence)
            .FirstOrDefaultAsync(cancellationToken);
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
