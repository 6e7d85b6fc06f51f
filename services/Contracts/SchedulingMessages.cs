namespace Platform.Contracts;

// Between the scheduler and the workers about leases, stops and hand-backs (docs/scheduling.md).
// Every message names the attempt it is about; the scheduler ignores anything for an attempt that is not
// current (fencing), so a duplicate or late message changes nothing.

/// <summary>One attempt a worker is running, as reported in its heartbeat.</summary>
public sealed record RunningAttempt(Guid JobId, int Attempt, string Stage, double Progress);

/// <summary>
/// Request from a worker to the scheduler, every <c>Worker:HeartbeatInterval</c>: renews the lease of each
/// running attempt and announces the worker's capacity. Answered with <see cref="WorkerHeartbeatAcknowledged"/>.
/// </summary>
public sealed record WorkerHeartbeat
{
    /// <summary>The worker's unique name (<c>Worker:Name</c>).</summary>
    public required string Worker { get; init; }
    /// <summary>How many attempts the worker runs at once.</summary>
    public required int Capacity { get; init; }
    /// <summary>True while the worker shuts down: it takes no new work.</summary>
    public bool Draining { get; init; }
    public IReadOnlyList<RunningAttempt> Attempts { get; init; } = [];
    public required DateTimeOffset At { get; init; }
}

/// <summary>
/// An attempt the worker must stop, with why: "cancelled", "timed_out" or "superseded". Listed in a heartbeat's answer,
/// and also published by the scheduler the moment it cancels or times out a dispatched job: every worker hears it on a
/// queue of its own and stops the attempt if it runs it, without waiting for its next heartbeat (which stays the fallback).
/// </summary>
public sealed record AttemptToStop(Guid JobId, int Attempt, string Reason);

/// <summary>The scheduler's answer to a <see cref="WorkerHeartbeat"/>.</summary>
public sealed record WorkerHeartbeatAcknowledged
{
    public IReadOnlyList<AttemptToStop> Stop { get; init; } = [];
}

/// <summary>
/// Request from a worker, right before it registers a model: may this attempt commit its result?
/// Answered with <see cref="CommitDecision"/>; once granted, the job can no longer be cancelled or time out.
/// </summary>
public sealed record CommitAttempt(Guid JobId, int Attempt, string Worker)
{
    /// <summary>
    /// When the worker asked, by its own clock: progress reports it sent before (dated earlier) that arrive after the
    /// grant are stale and must not move the job's stage back. Null from workers that do not send it.
    /// </summary>
    public DateTimeOffset? At { get; init; }
}

/// <summary>Whether the attempt may register its model; <see cref="Reason"/> says why not.</summary>
public sealed record CommitDecision(Guid JobId, int Attempt, bool Allowed, string Reason);

/// <summary>
/// A worker shutting down handed an attempt back before finishing it: the scheduler queues the next attempt at
/// once (no backoff, not counted as a failure).
/// </summary>
public sealed record TrainingJobReleased(Guid JobId, int Attempt, string Worker, string Reason, DateTimeOffset At);

/// <summary>
/// Published by the scheduler after every state change of a job (best effort, after the commit; the job's
/// history in the scheduler is the record). <see cref="State"/> is the state name, e.g. "Queued", "Running".
/// </summary>
public sealed record TrainingJobStateChanged(Guid JobId, string TenantId, int Attempt, string State, string Reason, DateTimeOffset At);
