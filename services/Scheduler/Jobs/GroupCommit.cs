namespace Platform.Scheduler.Jobs;

/// <summary>
/// The gathering half of a group commit (docs/scheduling.md): a request waits while the previous commit of this process
/// runs, and everything that gathered meanwhile (up to <see cref="MaxBatch"/>) is handed to <see cref="CommitAsync"/> at
/// once. An idle process commits a request at once on its own, without an added wait; under load one transaction carries
/// many. Each request's task completes when <see cref="CommitAsync"/> settles it.
/// </summary>
public abstract class GroupCommit<TRequest, TResult>
{
    /// <summary>Most requests in one commit.</summary>
    internal const int MaxBatch = 128;

    private readonly Lock _gate = new();
    private readonly List<Pending> _waiting = [];
    private bool _committing;

    /// <summary>Requests waiting for a commit (not counting those of the commit running now).</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate) return _waiting.Count;
        }
    }

    /// <summary>Queues <paramref name="request"/> for the next commit; the task ends when that commit settled it.</summary>
    protected Task<TResult> EnqueueAsync(TRequest request)
    {
        var pending = new Pending(request);
        bool lead;
        lock (_gate)
        {
            _waiting.Add(pending);
            lead = !_committing;
            _committing = true;
        }
        // The first request to find nobody committing starts the loop, which runs until nothing waits any more. On the thread
        // pool, not on the caller's thread: SQLite's driver completes its "async" calls synchronously, so the caller would
        // run every commit of the loop (and a request that blocks would block its caller) before it got its task back.
        if (lead) _ = Task.Run(CommitWaitingAsync);
        return pending.Done.Task;
    }

    /// <summary>
    /// Commits <paramref name="batch"/> and settles every request of it (<see cref="Pending.Done"/>), also when it fails:
    /// a request left unsettled would wait for ever.
    /// </summary>
    protected abstract Task CommitAsync(Pending[] batch);

    private async Task CommitWaitingAsync()
    {
        while (true)
        {
            Pending[] batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _committing = false;
                    return;
                }
                var count = Math.Min(_waiting.Count, MaxBatch);
                batch = [.. _waiting.GetRange(0, count)];
                _waiting.RemoveRange(0, count);
            }
            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex)
            {
                // CommitAsync settles its requests itself; this only keeps a bug there from stranding them and the loop.
                foreach (var pending in batch) pending.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>A request waiting for its commit.</summary>
    protected sealed class Pending(TRequest request)
    {
        public TRequest Request { get; } = request;
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
