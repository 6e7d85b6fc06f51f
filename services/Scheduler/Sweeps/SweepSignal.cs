using System.Collections.Concurrent;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// Wakes this process's <see cref="SweepSupervisor"/> early: for every sweep (one was submitted), or for the sweeps whose
/// trial (or final job) has just ended, so the next trial is stored at once instead of at the next periodic pass. Wakes
/// coalesce: the supervisor takes every sweep named since it last looked (<see cref="Take"/>).
/// </summary>
public sealed class SweepSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<Guid, byte> _sweeps = new();
    private volatile bool _all;

    /// <summary>Asks for a pass over every running sweep.</summary>
    public void Wake()
    {
        _all = true;
        Release();
    }

    /// <summary>Asks for a pass over sweep <paramref name="sweepId"/> (one of its jobs ended).</summary>
    public void Wake(Guid sweepId)
    {
        _sweeps.TryAdd(sweepId, 0);
        Release();
    }

    /// <summary>What the wakes since the last call asked for: null for every sweep, else the sweeps named (perhaps none).</summary>
    public IReadOnlyCollection<Guid>? Take()
    {
        if (_all)
        {
            _all = false;
            _sweeps.Clear();
            return null;
        }
        var named = new List<Guid>();
        foreach (var id in _sweeps.Keys)
        {
            if (_sweeps.TryRemove(id, out _)) named.Add(id);
        }
        return named;
    }

    /// <summary>Completes at the next wake or after <paramref name="timeout"/>.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    private void Release()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the pending pass takes this wake too.
        }
    }

    public void Dispose() => _wake.Dispose();
}
