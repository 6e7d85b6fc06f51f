using Microsoft.EntityFrameworkCore;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Applies a worker's report to a job: load, let the <see cref="TrainingJob"/> state machine decide, save the
/// change with its event, wake watchers. Reports of one job arrive on different queues and may be consumed at
/// the same time; the row's version token turns a lost update into a conflict, and the report is re-applied to
/// the fresh row.
/// </summary>
public sealed class JobTracker(SchedulerDbContext db, JobWatchNotifier notifier, ILogger<JobTracker> logger)
{
    private const int MaxConflicts = 5;

    /// <summary>
    /// Applies <paramref name="change"/> (which returns false when the report changes nothing) to the job.
    /// Returns whether the job changed. A report for an unknown job is logged and dropped.
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
            if (!change(job))
            {
                logger.LogDebug("Ignored {Report} for job {JobId} (state {State}, attempt {Attempt}): duplicate, stale or too late",
                    report, jobId, job.State, job.Attempt);
                return false;
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
                notifier.Notify(jobId);
                return true;
            }
            catch (DbUpdateException ex) when (conflicts < MaxConflicts)
            {
                logger.LogDebug(ex, "Concurrent update of job {JobId} while applying {Report}; retrying", jobId, report);
                db.ChangeTracker.Clear();
            }
        }
    }
}
