using MassTransit;
using Platform.Contracts;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Applies a change to a job (a worker's report, a cancellation, an expired lease): the <see cref="TrainingJob"/> state
/// machine decides, <see cref="JobChangeQueue"/> commits the change with its event (together with the other changes
/// waiting at that moment, under the jobs' row locks) and hands it to the watchers, and then this publishes
/// <see cref="TrainingJobStateChanged"/> when the state or attempt moved and <see cref="AttemptToStop"/> when a dispatched
/// attempt was cancelled or timed out, and wakes the dispatch pass when a slot was freed.
/// </summary>
public sealed class JobTracker(
    JobChangeQueue changes,
    DispatchSignal dispatch,
    IPublishEndpoint publisher,
    ILogger<JobTracker> logger)
{
    /// <summary>
    /// Applies <paramref name="change"/> (which returns false when it changes nothing) to the job. Returns whether the job
    /// changed. A change for an unknown job is logged and dropped. The change runs under the job's row lock, possibly more
    /// than once (a retried transaction), so a caller that answers from the job decides inside it.
    /// </summary>
    public async Task<bool> ApplyAsync(Guid jobId, string report, Func<TrainingJob, bool> change, CancellationToken cancellationToken)
    {
        // Not cancelled with the caller: a change may already be in the committing batch, and applying it is harmless.
        var applied = await changes.ApplyAsync(jobId, change).WaitAsync(cancellationToken);
        if (applied.Job is not { } job)
        {
            logger.LogWarning("Dropped {Report} for unknown job {JobId}", report, jobId);
            return false;
        }
        if (!applied.Changed)
        {
            logger.LogDebug("Ignored {Report} for job {JobId} (state {State}, attempt {Attempt}): duplicate, stale or too late",
                report, jobId, job.State, job.Attempt);
            return false;
        }

        if (applied.FreedSlot) dispatch.Wake();
        if (applied.StateChanged is { } stateChanged) await PublishChangeAsync(stateChanged, cancellationToken);
        if (applied.Stop is { } stop) await PublishStopAsync(stop, cancellationToken);
        return true;
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
    private async Task PublishChangeAsync(TrainingJobStateChanged stateChanged, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.Publish(stateChanged, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not publish the state change of job {JobId}", stateChanged.JobId);
        }
    }
}
