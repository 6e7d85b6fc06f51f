namespace Platform.Contracts;

/// <summary>Command from the scheduler to any worker: train this job (attempt <see cref="Attempt"/>).</summary>
public sealed record TrainModel
{
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
    public required string TenantId { get; init; }
    public required Guid DatasetId { get; init; }
    /// <summary>"binary_classification", "multiclass_classification" or "regression".</summary>
    public required string Task { get; init; }
    public required string LabelColumn { get; init; }
    public required string Trainer { get; init; }
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public required int Seed { get; init; }
    public required string ModelName { get; init; }
    public required double HoldoutFraction { get; init; }
}

/// <summary>A worker has started an attempt of a job.</summary>
public sealed record TrainingJobStarted(Guid JobId, int Attempt, string Worker, DateTimeOffset At);

/// <summary>A worker reports how far an attempt has got (<see cref="Progress"/> in 0..1 within <see cref="Stage"/>).</summary>
public sealed record TrainingJobProgressed(Guid JobId, int Attempt, string Stage, double Progress, string Message, DateTimeOffset At);

/// <summary>An attempt ended with a registered model version.</summary>
public sealed record TrainingJobCompleted
{
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
    public required string ModelName { get; init; }
    public required int ModelVersion { get; init; }
    public required string ModelSha256 { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public required double TrainingSeconds { get; init; }
    public required string Worker { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>An attempt failed. <see cref="Permanent"/> failures (bad data, bad parameters) are not retried.</summary>
public sealed record TrainingJobFailed(Guid JobId, int Attempt, string Reason, bool Permanent, string Worker, DateTimeOffset At);
