using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Puts a committed job on the bus as <see cref="TrainModel"/> and records the broker's confirmation in
/// <see cref="TrainingJob.DispatchedAt"/>. Publishing is never part of the database transaction, so it can fail
/// after the commit; then the job stays queued with no confirmation and <see cref="PendingDispatchSweep"/> retries.
/// </summary>
public sealed class JobDispatcher(SchedulerDbContext db, IPublishEndpoint publisher, TimeProvider time, ILogger<JobDispatcher> logger)
{
    /// <summary>Publishes the job's current attempt; false (logged) when the bus refused it.</summary>
    public async Task<bool> TryDispatchAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await publisher.Publish(ToTrainModel(job), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Could not publish job {JobId} attempt {Attempt}; the pending-dispatch sweep will retry", job.Id, job.Attempt);
            return false;
        }

        var now = time.GetUtcNow();
        // A direct update: no need to load the row, and no conflict with event consumers updating it.
        await db.TrainingJobs
            .Where(j => j.Id == job.Id && j.Attempt == job.Attempt && j.DispatchedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.DispatchedAt, now), cancellationToken);
        return true;
    }

    internal static TrainModel ToTrainModel(TrainingJob job) => new()
    {
        JobId = job.Id,
        Attempt = job.Attempt,
        TenantId = job.TenantId,
        DatasetId = job.Spec.DatasetId,
        Task = job.Spec.Task,
        LabelColumn = job.Spec.LabelColumn,
        Trainer = job.Spec.Trainer,
        Hyperparameters = new Dictionary<string, string>(job.Spec.Hyperparameters),
        Seed = job.Spec.Seed,
        ModelName = job.Spec.ModelName,
        HoldoutFraction = job.Spec.HoldoutFraction,
    };
}
