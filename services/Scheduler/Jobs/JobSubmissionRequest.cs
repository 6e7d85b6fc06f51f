using Platform.Contracts;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// A submission as it arrives, from gRPC or the message queue, before any validation.
/// Empty values mean "not given"; <see cref="JobSubmission"/> applies defaults and rejects what is wrong.
/// </summary>
public sealed record JobSubmissionRequest
{
    /// <summary>Already validated by the caller (the <c>x-tenant-id</c> header or the message's <c>tenantId</c>).</summary>
    public required string TenantId { get; init; }
    public string? RequestId { get; init; }
    public string? DatasetId { get; init; }
    /// <summary>A task wire name (<see cref="Platform.Training.TrainingTasks"/>); null when not given.</summary>
    public string? Task { get; init; }
    public string? LabelColumn { get; init; }
    public string? Trainer { get; init; }
    public IReadOnlyDictionary<string, string>? Hyperparameters { get; init; }
    public int Seed { get; init; }
    public string? ModelName { get; init; }
    /// <summary>0 means "not given" (then 0.2), as in proto3.</summary>
    public double HoldoutFraction { get; init; }
    /// <summary>Higher first; 0 when not given.</summary>
    public int Priority { get; init; }
    /// <summary>Named queue; empty means the default queue.</summary>
    public string? Queue { get; init; }
    /// <summary>Run-time limit of one attempt in seconds; 0 for none.</summary>
    public int MaxRunSeconds { get; init; }
    /// <summary>The preparation (wire names); null for the defaults.</summary>
    public PreparationSpec? Preparation { get; init; }
    /// <summary>The evaluation; null for a stratified holdout.</summary>
    public EvaluationOptions? Evaluation { get; init; }
    /// <summary><see cref="JobSources.Grpc"/> or <see cref="JobSources.Amqp"/>.</summary>
    public required string Source { get; init; }
}

/// <summary>A request to run an earlier job's spec again (<c>JobService.RerunJob</c>).</summary>
public sealed record JobRerunRequest
{
    /// <summary>Already validated by the caller.</summary>
    public required string TenantId { get; init; }
    /// <summary>The job whose spec is run again.</summary>
    public required Guid JobId { get; init; }
    public string? RequestId { get; init; }
    /// <summary>The new job's priority; null keeps the earlier job's.</summary>
    public int? Priority { get; init; }
    /// <summary>The new job's queue; null keeps the earlier job's.</summary>
    public string? Queue { get; init; }
    /// <summary><see cref="JobSources.Grpc"/>.</summary>
    public required string Source { get; init; }
}
