using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Cross-validations whose folds run as jobs of their own (<c>evaluation.parallel_folds</c>, docs/training.md "Folds in
/// parallel"), moved on from what the database holds, so any replica and a restarted scheduler do the same. For a queued
/// job awaiting its folds (<see cref="TrainingJob.AwaitingFolds"/>): stores one evaluate-only job per fold
/// (<see cref="TrainingJob.ForFold"/>) together with the job's record of them, in one transaction guarded by the job's
/// version and the unique (job, fold) index, so they are stored once; then records each fold that succeeds; once all have,
/// hands their outcomes to the job and queues it for its own attempt (the fit on every row); when a fold ends without
/// succeeding (after its own retries), fails the job with the fold's reason and cancels the other folds. The folds are
/// ordinary jobs for the dispatch pass: priority, tenant and queue limits, leases, retries and run-time limits apply.
/// </summary>
public sealed class FoldProgress(
    SchedulerDbContext db,
    JobTracker tracker,
    DispatchSignal dispatch,
    TimeProvider time,
    ILogger<FoldProgress> logger)
{
    private const int BatchSize = 200;

    /// <summary>
    /// One pass over the jobs awaiting their folds, and over folds still queued or running whose job has ended (a crash
    /// between a job's cancellation and its folds'). Returns how many jobs changed.
    /// </summary>
    public async Task<int> AdvanceAllAsync(CancellationToken cancellationToken)
    {
        var waiting = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && j.AwaitingFolds)
            .OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).Select(j => j.Id).Take(BatchSize).ToListAsync(cancellationToken);
        var changed = 0;
        foreach (var id in waiting)
            if (await AdvanceAsync(id, cancellationToken)) changed++;

        var orphaned = await db.TrainingJobs.AsNoTracking()
            .Where(f => f.ParentJobId != null && (f.State == JobState.Queued || f.State == JobState.Running))
            .Where(f => db.TrainingJobs.Any(p => p.Id == f.ParentJobId && p.State != JobState.Queued && p.State != JobState.Running))
            .Select(f => f.ParentJobId!.Value).Distinct().Take(BatchSize).ToListAsync(cancellationToken);
        foreach (var parentId in orphaned)
            await CancelFoldsAsync(parentId, $"job {parentId} has ended", cancellationToken);
        return changed;
    }

    /// <summary>One step for the job <paramref name="jobId"/> if it awaits its folds; returns whether it changed.</summary>
    public async Task<bool> AdvanceAsync(Guid jobId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var job = await db.TrainingJobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        if (job is not { State: JobState.Queued, AwaitingFolds: true }) return false;
        var k = job.Spec.Evaluation?.Folds ?? 0;
        var folds = await db.TrainingJobs.AsNoTracking().Where(j => j.ParentJobId == jobId).ToListAsync(cancellationToken);
        var now = Now();

        if (folds.Count < k)
        {
            var stored = folds.Select(f => f.Fold).ToHashSet();
            // Ids a millisecond apart: the dispatch pass takes equal priority and age by id, so the folds start in fold order.
            var created = Enumerable.Range(1, k).Where(fold => !stored.Contains(fold))
                .Select(fold => TrainingJob.ForFold(Guid.CreateVersion7(now.AddMilliseconds(fold)), job, fold, now)).ToList();
            db.TrainingJobs.AddRange(created);
            job.FoldsQueued([.. folds.Concat(created).OrderBy(f => f.Fold)], now);
            if (!await SaveAsync(job, cancellationToken)) return false;
            logger.LogInformation("Job {JobId}: folds {Folds} of {Count} queued as jobs of their own", jobId, string.Join(", ", created.Select(f => f.Fold)), k);
            dispatch.JobQueued();
            return true;
        }

        if (folds.Where(f => f.State.IsTerminal() && f.State != JobState.Succeeded).MinBy(f => f.Fold) is { } ended)
        {
            var failed = await tracker.ApplyAsync(jobId, "fold ended",
                j => j.FoldFailed(ended.Fold!.Value, ended.Id, ended.State, ended.FailureReason, now), cancellationToken);
            if (failed) logger.LogInformation("Job {JobId} failed: fold {Fold} (job {FoldJobId}) ended {State}", jobId, ended.Fold, ended.Id, ended.State);
            await CancelFoldsAsync(jobId, $"fold {ended.Fold} of job {jobId} ended {ended.State}", cancellationToken);
            return failed;
        }

        var succeeded = folds.Where(f => f.State == JobState.Succeeded).OrderBy(f => f.Fold).ToList();
        if (succeeded.Count < k)
            return await tracker.ApplyAsync(jobId, "folds progressed",
                j => j.FoldsProgressed([.. succeeded.Select(f => f.Fold!.Value)], k, now), cancellationToken);

        // A fold reported by a worker that predates parallel folds carries no outcome: nothing to report it from.
        if (succeeded.FirstOrDefault(f => f.Result?.Fold is null) is { } silent)
            return await tracker.ApplyAsync(jobId, "fold without outcome",
                j => j.FoldFailed(silent.Fold!.Value, silent.Id, JobState.Failed,
                    $"its worker ({silent.Worker}) reported no fold outcome; it may predate parallel folds", now), cancellationToken);
        IReadOnlyList<FoldOutcome> outcomes = [.. succeeded.Select(f => f.Result!.Fold! with { Fold = f.Fold!.Value, JobId = f.Id })];
        if (!await tracker.ApplyAsync(jobId, "folds succeeded", j => j.AllFoldsSucceeded(outcomes, now), cancellationToken)) return false;
        logger.LogInformation("Job {JobId}: all {Count} folds succeeded; queued to fit on every row", jobId, k);
        dispatch.JobQueued();
        return true;
    }

    /// <summary>Cancels the folds of job <paramref name="jobId"/> that are still queued or running; their workers are told to stop at once.</summary>
    public async Task CancelFoldsAsync(Guid jobId, string reason, CancellationToken cancellationToken)
    {
        var open = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.ParentJobId == jobId && (j.State == JobState.Queued || j.State == JobState.Running))
            .Select(j => j.Id).ToListAsync(cancellationToken);
        foreach (var id in open)
        {
            var now = time.GetUtcNow();
            await tracker.ApplyAsync(id, "job ended", j => j.Cancel(reason, now), cancellationToken);
        }
        if (open.Count > 0) logger.LogInformation("Job {JobId}: {Count} folds cancelled ({Reason})", jobId, open.Count, reason);
    }

    /// <summary>Saves; false when another pass (or a cancellation) changed the job first: the next pass starts again from the rows.</summary>
    private async Task<bool> SaveAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex)
        {
            logger.LogDebug(ex, "Job {JobId} changed meanwhile; the next pass carries on", job.Id);
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>PostgreSQL keeps microseconds: drop the rest, so the stored time equals every later read.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
