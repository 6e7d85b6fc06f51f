namespace Platform.Scheduler.Jobs;

/// <summary>
/// What to train, as validated at submission: never changes afterwards. <see cref="Task"/> uses the bus
/// names (<c>binary_classification</c>, <c>multiclass_classification</c>, <c>regression</c>).
/// </summary>
public sealed record TrainingJobSpec
{
    public required Guid DatasetId { get; init; }
    public required string Task { get; init; }
    public required string LabelColumn { get; init; }
    public required string Trainer { get; init; }
    /// <summary>As given by the submitter (text values), checked against the trainer's declared parameters.</summary>
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; init; }
    public required int Seed { get; init; }
    public required string ModelName { get; init; }
    public required double HoldoutFraction { get; init; }
}

/// <summary>What a successful job produced.</summary>
public sealed record TrainingJobResult
{
    public required string ModelName { get; init; }
    public required int ModelVersion { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required string ModelSha256 { get; init; }
    /// <summary>Wall time of training and evaluation on the worker.</summary>
    public required double TrainingSeconds { get; init; }
}
