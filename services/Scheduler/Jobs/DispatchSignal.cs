namespace Platform.Scheduler.Jobs;

/// <summary>
/// Wakes this process's <see cref="JobSupervisor"/> early: a job was submitted, a slot was freed, a worker
/// appeared. Wakes coalesce, so a burst of submissions costs one dispatch pass.
/// </summary>
public sealed class DispatchSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Asks for a dispatch pass soon.</summary>
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

    /// <summary>Completes at the next <see cref="Wake"/> or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}
