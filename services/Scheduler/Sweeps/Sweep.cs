using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Sweeps;

/// <summary>The life of a sweep: <c>Running → Registering → Succeeded</c>, or <c>Failed</c> / <c>Cancelled</c>.</summary>
public enum SweepState
{
    /// <summary>Trials are suggested and run.</summary>
    Running,
    /// <summary>Every trial has ended; the final job trains the best trial's model again and registers it.</summary>
    Registering,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// A hyperparameter sweep (docs/sweeps.md), owned by a tenant. Its trials are <see cref="TrainingJob"/>s with
/// <see cref="TrainingJob.SweepId"/> set: the scheduler dispatches them as any job, and the sweep's state is the
/// rows of its trials plus <see cref="TrialsCreated"/>, so a restarted scheduler carries on exactly where it was.
/// Every change bumps <see cref="Version"/> (an optimistic concurrency token): two replicas advancing the same sweep
/// cannot both store trial <c>n</c>.
/// </summary>
public sealed class Sweep
{
    // For EF Core.
    private Sweep()
    {
        TenantId = null!;
        BaseSpec = null!;
        Definition = null!;
    }

    public Sweep(Guid id, string tenantId, string? requestId, TrainingJobSpec baseSpec, SweepDefinition definition, string? datasetSha256,
        DateTimeOffset at)
    {
        Id = id;
        TenantId = tenantId;
        RequestId = requestId;
        BaseSpec = baseSpec;
        Definition = definition;
        DatasetSha256 = datasetSha256;
        State = SweepState.Running;
        CreatedAt = at;
    }

    public Guid Id { get; private set; }
    public string TenantId { get; private set; }
    /// <summary>Client-chosen idempotency key, unique within the tenant when set.</summary>
    public string? RequestId { get; private set; }
    /// <summary>What every trial trains on; the trainer and hyperparameters of a trial come from its suggestion.</summary>
    public TrainingJobSpec BaseSpec { get; private set; }
    public SweepDefinition Definition { get; private set; }
    /// <summary>SHA-256 of the data set's content at submission, recorded on every trial.</summary>
    public string? DatasetSha256 { get; private set; }
    public SweepState State { get; private set; }
    public string? FailureReason { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    /// <summary>Trials stored so far (numbered 1 to this); the next suggestion is for this plus one.</summary>
    public int TrialsCreated { get; private set; }
    /// <summary>The job registering the best trial's model (<see cref="SweepState.Registering"/> on).</summary>
    public Guid? FinalJobId { get; private set; }
    /// <summary>The trial whose model is registered.</summary>
    public int? BestTrial { get; private set; }
    public string? ModelName { get; private set; }
    public int? ModelVersion { get; private set; }
    public int Version { get; private set; }

    public bool IsEnded => State is SweepState.Succeeded or SweepState.Failed or SweepState.Cancelled;

    /// <summary>With a time budget: when the sweep stops suggesting trials.</summary>
    public DateTimeOffset? Deadline => Definition.TimeBudgetSeconds > 0 ? CreatedAt.AddSeconds(Definition.TimeBudgetSeconds) : null;

    /// <summary>Records that trials up to <paramref name="lastTrial"/> are stored.</summary>
    public void TrialsStored(int lastTrial)
    {
        if (State != SweepState.Running || lastTrial <= TrialsCreated) return;
        TrialsCreated = lastTrial;
        Version++;
    }

    /// <summary>Every trial has ended: <paramref name="finalJob"/> now registers the model of trial <paramref name="bestTrial"/>.</summary>
    public bool Register(int bestTrial, Guid finalJob)
    {
        if (State != SweepState.Running) return false;
        State = SweepState.Registering;
        BestTrial = bestTrial;
        FinalJobId = finalJob;
        Version++;
        return true;
    }

    /// <summary>The final job registered the model.</summary>
    public bool Succeed(string modelName, int modelVersion, DateTimeOffset at)
    {
        if (State != SweepState.Registering) return false;
        State = SweepState.Succeeded;
        ModelName = modelName;
        ModelVersion = modelVersion;
        FinishedAt = at;
        Version++;
        return true;
    }

    public bool Fail(string reason, DateTimeOffset at) => End(SweepState.Failed, reason, at);

    public bool Cancel(string reason, DateTimeOffset at) => End(SweepState.Cancelled, reason, at);

    private bool End(SweepState state, string? reason, DateTimeOffset at)
    {
        if (IsEnded) return false;
        State = state;
        FailureReason = string.IsNullOrWhiteSpace(reason) ? null : reason;
        FinishedAt = at;
        Version++;
        return true;
    }
}
