using MassTransit;
using Platform.Contracts;

namespace Platform.Worker.Lifecycle;

/// <summary>
/// One attempt running on this worker: its cancellation, its latest progress (for the heartbeat) and the
/// commit gate. Owned by <see cref="AttemptRunner"/>.
/// </summary>
public sealed class AttemptHandle : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<AttemptHandle, Task<CommitDecision>> _askToCommit;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal AttemptHandle(TrainModel job, Func<AttemptHandle, Task<CommitDecision>> askToCommit)
    {
        Job = job;
        _askToCommit = askToCommit;
    }

    public TrainModel Job { get; }

    /// <summary>Cancelled when the attempt must stop (see <see cref="StopReason"/>).</summary>
    public CancellationToken CancellationToken => _stop.Token;

    /// <summary>Why the attempt was stopped: "cancelled", "timed_out", "superseded", "commit refused: …" or <see cref="AttemptRunner.ShutdownReason"/>.</summary>
    public string? StopReason { get; private set; }

    /// <summary>The stage and progress last reported, for the heartbeat.</summary>
    public (string Stage, double Progress) Latest { get; private set; } = ("starting", 0);

    /// <summary>True once the scheduler allowed this attempt to register its model.</summary>
    public bool Committing { get; private set; }

    /// <summary>Completes when the attempt has ended, however it ended.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Records progress (called from any thread).</summary>
    public void Observe(string stage, double progress) => Latest = (stage, progress);

    /// <summary>
    /// Asks the scheduler whether this attempt may register its model. Refused (cancelled, timed out, superseded):
    /// the attempt is stopped and <see cref="OperationCanceledException"/> is thrown. No answer: the exception
    /// of the request, a transient failure of the attempt.
    /// </summary>
    public async Task ConfirmCommitAsync()
    {
        CancellationToken.ThrowIfCancellationRequested();
        var decision = await _askToCommit(this);
        if (!decision.Allowed)
        {
            Stop($"commit refused: {decision.Reason}");
            CancellationToken.ThrowIfCancellationRequested();
        }
        Committing = true;
    }

    /// <summary>Stops the attempt (first reason wins).</summary>
    public void Stop(string reason)
    {
        lock (_stop)
        {
            if (StopReason is not null) return;
            StopReason = reason;
        }
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended meanwhile: nothing left to stop.
        }
    }

    internal void MarkEnded() => _ended.TrySetResult();

    public void Dispose() => _stop.Dispose();
}
