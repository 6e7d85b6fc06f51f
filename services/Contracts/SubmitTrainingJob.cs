namespace Platform.Contracts;

/// <summary>
/// The public message-queue submission: any AMQP client publishes this as a plain JSON body
/// (camelCase properties, no envelope) to the exchange/queue <see cref="QueueName"/>.
/// It becomes a job exactly like a gRPC SubmitJob. See docs/messaging.md.
/// </summary>
public sealed record SubmitTrainingJob
{
    /// <summary>The documented public queue (and its exchange, of the same name).</summary>
    public const string QueueName = "platform.submit-training-job";

    /// <summary>Client-chosen id: makes the submission idempotent and lets the client find its job.</summary>
    public string? RequestId { get; init; }
    /// <summary>Tenant that owns the job; the default tenant when absent.</summary>
    public string? TenantId { get; init; }
    public string? DatasetId { get; init; }
    /// <summary>"binary_classification", "multiclass_classification", "regression" or "clustering".</summary>
    public string? Task { get; init; }
    public string? LabelColumn { get; init; }
    public string? Trainer { get; init; }
    public Dictionary<string, string>? Hyperparameters { get; init; }
    public int? Seed { get; init; }
    public string? ModelName { get; init; }
    public double? HoldoutFraction { get; init; }
    /// <summary>Dispatch order: higher first; 0 when absent.</summary>
    public int? Priority { get; init; }
    /// <summary>Named queue whose running-job limit applies; "default" when absent.</summary>
    public string? Queue { get; init; }
    /// <summary>Longest one attempt may run, in seconds; absent or 0 for no limit.</summary>
    public int? MaxRunSeconds { get; init; }
    /// <summary>How the data is prepared (docs/training.md); absent for the defaults.</summary>
    public PreparationSpec? Preparation { get; init; }
    /// <summary>How the model is evaluated; absent for a stratified holdout of <see cref="HoldoutFraction"/>.</summary>
    public EvaluationOptions? Evaluation { get; init; }
}

/// <summary>A message-queue submission was invalid: no job was created. Published so the submitter can learn why.</summary>
public sealed record TrainingJobRejected(string? RequestId, string? TenantId, string Field, string Reason, DateTimeOffset At);
