using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>Why a queued job has not started (see <see cref="PendingReasons"/>).</summary>
/// <param name="Position">Jobs the dispatch pass takes before this one.</param>
/// <param name="Reason">One sentence for humans.</param>
/// <param name="Limit">"tenant" or "queue" when such a limit holds the job; null otherwise.</param>
/// <param name="WorkersBusy">Every worker slot is taken, or no worker is connected.</param>
/// <param name="EstimatedStart">When it will probably start, where that can be computed.</param>
/// <param name="Dispatched">Handed to the workers, not yet started.</param>
public sealed record PendingReason(int Position, string Reason, string? Limit, bool WorkersBusy, DateTimeOffset? EstimatedStart, bool Dispatched);

/// <summary>
/// Explains a queued job from the same counts the dispatch pass uses. The estimated start assumes the jobs
/// ahead run as long as the recent ones did on average; it is left out when nothing has run yet.
/// </summary>
public sealed class PendingReasons(JobQueueSnapshot snapshots, IOptions<SchedulerOptions> options, TimeProvider time)
{
    private const int RecentRuns = 50;

    public async Task<PendingReason?> ExplainAsync(SchedulerDbContext db, TrainingJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(job);
        if (job.State != JobState.Queued) return null;
        var pending = await ExplainWaitAsync(db, job, cancellationToken);
        return pending with { Reason = pending.Reason + RunTime(job) };
    }

    /// <summary>
    /// What the job will cost once it starts: its estimated run time, and a warning when that is beyond its limit
    /// (it would time out). Empty for jobs without an estimate.
    /// </summary>
    private static string RunTime(TrainingJob job)
    {
        if (job.EstimatedRunSeconds is not { } estimate) return "";
        var text = $"; once started it should run about {Duration(estimate)}";
        return job.Spec.MaxRunSeconds > 0 && estimate > job.Spec.MaxRunSeconds
            ? text + $", more than its limit of {job.Spec.MaxRunSeconds} s: it may time out"
            : text;
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 90 => $"{Math.Max(1, Math.Round(seconds)):0} s",
        < 5400 => $"{Math.Round(seconds / 60):0} min",
        _ => $"{seconds / 3600:0.#} h",
    };

    private async Task<PendingReason> ExplainWaitAsync(SchedulerDbContext db, TrainingJob job, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (job.DispatchedAt is not null)
            return new PendingReason(0, $"attempt {job.Attempt} was handed to the workers; waiting for one to start it", null, false, now, true);
        if (job.AwaitingFolds)
            return new PendingReason(0,
                $"its folds run as jobs of their own: {job.FoldsSucceeded} of {job.Spec.Evaluation?.Folds} succeeded; then it fits the model on every row",
                null, false, null, false);

        var (priority, created, id) = (job.Spec.Priority, job.CreatedAt, job.Id);
        var ahead = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && j.DispatchedAt == null && !j.AwaitingFolds)
            .Where(j => j.Spec.Priority > priority || (j.Spec.Priority == priority && (j.CreatedAt < created || (j.CreatedAt == created && j.Id.CompareTo(id) < 0))))
            .CountAsync(cancellationToken);
        var slots = await snapshots.ReadAsync(db, now, cancellationToken);
        var limits = options.Value.Limits;

        if (job.NotBefore is { } retryAt && retryAt > now)
            return new PendingReason(ahead, $"attempt {job.Attempt} retries after a backoff, not before {retryAt:u}; the last attempt failed: {job.FailureReason}",
                null, false, retryAt, false);
        if (slots.TenantLimitReached(job.TenantId, limits))
            return new PendingReason(ahead,
                $"tenant limit: {slots.RunningForTenant(job.TenantId)} of {limits.ForTenant(job.TenantId)} jobs of tenant {job.TenantId} are running",
                "tenant", slots.FreeSlots == 0, null, false);
        if (slots.QueueLimitReached(job.Spec.Queue, limits))
            return new PendingReason(ahead,
                $"queue limit: {slots.RunningInQueue(job.Spec.Queue)} of {limits.ForQueue(job.Spec.Queue)} jobs of queue {job.Spec.Queue} are running",
                "queue", slots.FreeSlots == 0, null, false);

        var estimate = await EstimateStartAsync(db, ahead, slots, now, cancellationToken);
        if (slots.Capacity == 0)
            return new PendingReason(ahead, "no worker is connected", null, true, null, false);
        if (slots.FreeSlots == 0)
            return new PendingReason(ahead, $"all {slots.Capacity} worker slots are busy; {ahead} job{(ahead == 1 ? "" : "s")} ahead", null, true, estimate, false);
        return new PendingReason(ahead, ahead == 0 ? "next to be dispatched" : $"{ahead} job{(ahead == 1 ? "" : "s")} ahead", null, false, estimate, false);
    }

    private static async Task<DateTimeOffset?> EstimateStartAsync(
        SchedulerDbContext db, int ahead, JobQueueSnapshot.Slots slots, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (slots.Capacity == 0) return null;
        if (ahead < slots.FreeSlots) return now;
        var runs = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.State == JobState.Succeeded && j.StartedAt != null && j.FinishedAt != null)
            .OrderByDescending(j => j.FinishedAt)
            .Take(RecentRuns)
            .Select(j => new { j.StartedAt, j.FinishedAt })
            .ToListAsync(cancellationToken);
        if (runs.Count == 0) return null;
        var mean = TimeSpan.FromTicks((long)runs.Average(r => (r.FinishedAt!.Value - r.StartedAt!.Value).Ticks));
        // Slots free up one wave at a time: the jobs ahead that do not fit now need that many more waves.
        var waves = (ahead - slots.FreeSlots) / slots.Capacity + 1;
        return now + mean * waves;
    }
}
