using System.Collections.Concurrent;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Wakes <c>WatchJob</c> streams of this process as soon as a job changes here. Watchers also poll, because a
/// change applied by another scheduler replica never passes through this process.
/// </summary>
public sealed class JobWatchNotifier
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _signals = new();

    /// <summary>
    /// A task that completes at the job's next change. Take it before reading the job, so a change between the
    /// read and the wait is not missed.
    /// </summary>
    public Task NextChange(Guid jobId) =>
        _signals.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Signals that the job has changed.</summary>
    public void Notify(Guid jobId)
    {
        if (_signals.TryRemove(jobId, out var signal)) signal.TrySetResult();
    }
}
