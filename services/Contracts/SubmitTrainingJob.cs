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
    /// <summary>
    /// Tenant that owns the job. Over RabbitMQ the tenant is the publisher's (its RabbitMQ user, checked through the
    /// <c>user_id</c> property); this may be left out, and when given must name that same tenant.
    /// </summary>
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
    /// <summary>
    /// Present: the message submits a hyperparameter sweep (docs/sweeps.md), not one job. The fields above are then the
    /// base every trial trains with, <see cref="Trainer"/> and <see cref="Hyperparameters"/> left out.
    /// </summary>
    public SweepRequest? Sweep { get; init; }
}

/// <summary>What a sweep submitted over the message queue searches: <c>SweepSpec</c> of <c>platform.sweeps.v1</c> without its base.</summary>
public sealed record SweepRequest
{
    /// <summary>The trainers to choose between, each with its space; at least one.</summary>
    public List<SweepTrainerRequest>? Trainers { get; init; }
    public SweepObjectiveRequest? Objective { get; init; }
    /// <summary>"grid", "random" (when absent), "bayesian" or "successive_halving".</summary>
    public string? Algorithm { get; init; }
    public int? MaxTrials { get; init; }
    public int? MaxParallel { get; init; }
    /// <summary>Failed trials that end the sweep; absent or 0 for no limit.</summary>
    public int? MaxFailed { get; init; }
    /// <summary>Seed of the suggestions.</summary>
    public int? Seed { get; init; }
    /// <summary>Seconds after which no further trial is suggested; absent or 0 for none.</summary>
    public int? TimeBudgetSeconds { get; init; }
    /// <summary>successive_halving only: the budget hyperparameter and its rungs.</summary>
    public SweepBudgetRequest? Budget { get; init; }
}

/// <summary>One trainer of a sweep: fixed hyperparameters (values as text) and the searched ones.</summary>
public sealed record SweepTrainerRequest
{
    public string? Name { get; init; }
    public Dictionary<string, string>? Hyperparameters { get; init; }
    public List<SearchDimensionRequest>? Space { get; init; }
    /// <summary>successive_halving: this trainer's budget hyperparameter, when not the sweep's.</summary>
    public string? BudgetHyperparameter { get; init; }
}

/// <summary>One searched hyperparameter: exactly one of <see cref="Choice"/>, <see cref="IntRange"/> and <see cref="FloatRange"/>.</summary>
public sealed record SearchDimensionRequest
{
    public string? Name { get; init; }
    /// <summary>Values as text ("true", "0.1", "50").</summary>
    public List<string>? Choice { get; init; }
    public IntRangeRequest? IntRange { get; init; }
    public FloatRangeRequest? FloatRange { get; init; }
}

/// <summary>Integers from min to max, both included; scale "linear" (when absent) or "log".</summary>
public sealed record IntRangeRequest(int Min, int Max, string? Scale = null, int GridPoints = 0);

/// <summary>Numbers from min to max; scale "linear" (when absent) or "log".</summary>
public sealed record FloatRangeRequest(double Min, double Max, string? Scale = null, int GridPoints = 0);

/// <summary>The metric to optimise and, optionally, "maximize" or "minimize".</summary>
public sealed record SweepObjectiveRequest(string? Metric, string? Direction = null);

/// <summary>successive_halving's budget: an int hyperparameter, its smallest and largest value, and the reduction factor (absent: 3).</summary>
public sealed record SweepBudgetRequest(string? Hyperparameter, int Min, int Max, int ReductionFactor = 0);

/// <summary>
/// A message-queue submission was invalid: no job was created. Sent so the submitter can learn why, to the topic
/// exchange <see cref="ExchangeName"/> with the submitter's tenant as routing key, which RabbitMQ's topic
/// permissions let only that tenant read (docs/messaging.md).
/// </summary>
public sealed record TrainingJobRejected
{
    /// <summary>The topic exchange rejections are sent to; the routing key is the tenant id.</summary>
    public const string ExchangeName = "platform.training-job-rejected";

    /// <summary>The submission's <c>requestId</c>, as sent (shortened when long); null when absent or unreadable.</summary>
    public string? RequestId { get; init; }
    /// <summary>The submitter's tenant: the one its RabbitMQ user stands for, never merely what the body claimed.</summary>
    public required string TenantId { get; init; }
    /// <summary>The AMQP <c>message_id</c> property of the rejected submission (shortened when long), if it had one.</summary>
    public string? SubmissionMessageId { get; init; }
    /// <summary>The AMQP <c>correlation_id</c> property of the rejected submission (shortened when long), if it had one.</summary>
    public string? SubmissionCorrelationId { get; init; }
    /// <summary>The offending JSON property of the submission (<c>labelColumn</c>, <c>hyperparameters.learning_rate</c>), or <c>body</c>.</summary>
    public required string Field { get; init; }
    /// <summary>A sentence for humans, starting with <see cref="Field"/>.</summary>
    public required string Reason { get; init; }
    /// <summary>When the scheduler rejected it.</summary>
    public DateTimeOffset At { get; init; }
}
