namespace Platform.Scheduler.Jobs;

/// <summary>
/// Wakes this process's <see cref="JobSupervisor"/> early: a slot was freed, a worker appeared, or a job was queued while
/// slots were free. Wakes coalesce, so a burst of changes costs one dispatch pass.
/// </summary>
public sealed class DispatchSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile bool _noFreeSlot;

    /// <summary>Asks for a dispatch pass soon: a slot was freed or a worker brought new ones.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the pending pass covers this change too.
        }
    }

    /// <summary>
    /// A job was queued: worth a pass only if the last pass left a slot free. When it did not, the pass that the next freed
    /// slot wakes takes the job (in priority order with the others), and under load a pass per submission only read
    /// the slots to find none.
    /// </summary>
    public void JobQueued()
    {
        if (!_noFreeSlot) Wake();
    }

    /// <summary>The dispatch pass tells whether it left slots free (see <see cref="JobQueued"/>).</summary>
    public void PassEnded(bool slotsLeft) => _noFreeSlot = !slotsLeft;

    /// <summary>Completes at the next wake (true) or after <paramref name="timeout"/> (false).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}
