using Platform.Contracts;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// What to train, as validated at submission: never changes afterwards. <see cref="Task"/> uses the bus
/// names (<c>binary_classification</c>, <c>multiclass_classification</c>, <c>regression</c>, <c>clustering</c>).
/// </summary>
public sealed record TrainingJobSpec
{
    /// <summary>The queue a job is in when its submission names none.</summary>
    public const string DefaultQueue = "default";

    public required Guid DatasetId { get; init; }
    public required string Task { get; init; }
    public required string LabelColumn { get; init; }
    public required string Trainer { get; init; }
    /// <summary>As given by the submitter (text values), checked against the trainer's declared parameters.</summary>
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; init; }
    public required int Seed { get; init; }
    public required string ModelName { get; init; }
    public required double HoldoutFraction { get; init; }
    /// <summary>Dispatch order: higher first, first come first served within a priority.</summary>
    public int Priority { get; init; }
    /// <summary>The named queue whose limit on running jobs applies (<see cref="DefaultQueue"/> when not given).</summary>
    public string Queue { get; init; } = DefaultQueue;
    /// <summary>Longest one attempt may run before the job times out; 0 for no limit.</summary>
    public int MaxRunSeconds { get; init; }
    /// <summary>The preparation as submitted (wire names), checked against the data set's columns; null for the defaults.</summary>
    public PreparationSpec? Preparation { get; init; }
    /// <summary>The evaluation as submitted; null for a stratified holdout of <see cref="HoldoutFraction"/>.</summary>
    public EvaluationOptions? Evaluation { get; init; }
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
    /// <summary>The evaluation in full (folds, classes, confusion matrix, feature importance); null from older workers.</summary>
    public EvaluationResult? Evaluation { get; init; }
    /// <summary>A fold job (<see cref="TrainingJob.Fold"/>): what the fold measured, for the job that reports the folds; null otherwise.</summary>
    public FoldOutcome? Fold { get; init; }
}

/// <summary>How transient failures are retried (from <see cref="SchedulerOptions"/>).</summary>
/// <param name="MaxAttempts">Failed attempts after which the job ends Failed.</param>
/// <param name="Backoff">Wait before the second attempt; doubled for each further one.</param>
/// <param name="MaxBackoff">Longest wait between attempts.</param>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan Backoff, TimeSpan MaxBackoff)
{
    /// <summary>The wait before the next attempt after <paramref name="failures"/> failed ones (1 or more).</summary>
    public TimeSpan BackoffAfter(int failures)
    {
        var factor = Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(Backoff.Ticks * factor, MaxBackoff.Ticks));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }
}
