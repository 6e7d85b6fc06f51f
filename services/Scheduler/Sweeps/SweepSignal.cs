namespace Platform.Scheduler.Sweeps;

/// <summary>Wakes this process's <see cref="SweepSupervisor"/> early (a sweep was submitted); wakes coalesce.</summary>
public sealed class SweepSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the pending pass covers this sweep too.
        }
    }

    /// <summary>Completes at the next wake or after <paramref name="timeout"/>.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}
