namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// Wakes a service's outbox publisher when the service commits an event, so the event goes out without waiting for the
/// next poll. One per outbox, named by its owner (<typeparamref name="TOutbox"/>, the service's DbContext): in the
/// standalone host, where several services share one container, one service's commit must not take another's wake-up.
/// </summary>
public sealed class OutboxSignal<TOutbox> : IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    /// <summary>Records that there is something to publish (several notifications before a wait count as one).</summary>
    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; the publisher will look once and find everything.
        }
    }

    /// <summary>Waits until notified or until <paramref name="timeout"/> passes.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _pending.Dispose();
}
