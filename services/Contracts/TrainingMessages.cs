namespace Platform.Contracts;

/// <summary>Command from the scheduler to any worker: train this job (attempt <see cref="Attempt"/>).</summary>
public sealed record TrainModel
{
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
    public required string TenantId { get; init; }
    public required Guid DatasetId { get; init; }
    /// <summary>"binary_classification", "multiclass_classification", "regression" or "clustering".</summary>
    public required string Task { get; init; }
    /// <summary>The column to predict; empty for clustering without a label.</summary>
    public required string LabelColumn { get; init; }
    public required string Trainer { get; init; }
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public required int Seed { get; init; }
    public required string ModelName { get; init; }
    public required double HoldoutFraction { get; init; }
    /// <summary>How the data is prepared; null for the defaults.</summary>
    public PreparationSpec? Preparation { get; init; }
    /// <summary>How the model is evaluated; null for a stratified holdout of <see cref="HoldoutFraction"/>.</summary>
    public EvaluationOptions? Evaluation { get; init; }
    /// <summary>
    /// A sweep's trial: fit, evaluate and report the metrics in <see cref="TrainingJobCompleted"/> (with
    /// <c>ModelVersion</c> 0); no model card, ONNX export or registered version.
    /// </summary>
    public bool EvaluateOnly { get; init; }
    /// <summary>Tags for the registered version (a sweep's final job: <c>sweep</c>, <c>sweep_trial</c>).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>
    /// One fold of a cross-validation whose folds run as jobs of their own (<see cref="EvaluationOptions.ParallelFolds"/>):
    /// fit and evaluate fold <c>Fold</c> (1 to k) only, and report it in <see cref="TrainingJobCompleted.Fold"/>. Null otherwise.
    /// </summary>
    public int? Fold { get; init; }
    /// <summary>
    /// The job whose folds ran as jobs of their own, once they all succeeded: each fold's outcome, in fold order. The worker
    /// fits the model on every row and reports the cross-validation from these, as the serial run would have. Empty otherwise.
    /// </summary>
    public IReadOnlyList<FoldOutcome> FoldOutcomes { get; init; } = [];
}

/// <summary>
/// The preparation of a job's data (see docs/training.md). Choices travel as wire names; null or empty means
/// "the default". Every statistic is computed on the training rows and saved in the model.
/// </summary>
public sealed record PreparationSpec
{
    /// <summary>When not empty, only these columns are features.</summary>
    public IReadOnlyList<string> IncludeColumns { get; init; } = [];
    /// <summary>Columns kept out of the features (identifiers, sensitive columns).</summary>
    public IReadOnlyList<string> ExcludeColumns { get; init; } = [];
    /// <summary>Default missing-value policy: "mean", "median", "most_frequent", "drop_row" or "indicator".</summary>
    public string? MissingValues { get; init; }
    /// <summary>Default encoding of categorical columns: "one_hot" or "hashing"; null for automatic (by cardinality).</summary>
    public string? CategoricalEncoding { get; init; }
    /// <summary>Distinct values above which automatic encoding hashes.</summary>
    public int? HashingThreshold { get; init; }
    /// <summary>Bits of the hash for hashed columns.</summary>
    public int? HashingBits { get; init; }
    /// <summary>"none", "min_max" or "mean_variance"; null for the trainer's default.</summary>
    public string? Normalization { get; init; }
    public IReadOnlyList<ColumnPreparationSpec> Columns { get; init; } = [];
    /// <summary>Columns marked sensitive on the data set that the job may train on; other sensitive columns are left out.</summary>
    public IReadOnlyList<string> UseSensitiveColumns { get; init; } = [];
    /// <summary>Classification: "none", "balanced" or "custom"; null for none.</summary>
    public string? ClassWeighting { get; init; }
    /// <summary>"custom": the weight of each class named, by the label's value; a class not named weighs 1.</summary>
    public IReadOnlyDictionary<string, double> ClassWeights { get; init; } = new Dictionary<string, double>();
}

/// <summary>The preparation of one column: a missing-value policy and an encoding ("one_hot", "hashing" or "text").</summary>
public sealed record ColumnPreparationSpec
{
    public required string Name { get; init; }
    public string? MissingValues { get; init; }
    public string? Encoding { get; init; }
    /// <summary>A date column's parts: "year", "month", "day", "day_of_week", "day_of_year", "hour"; empty for the default.</summary>
    public IReadOnlyList<string> DateParts { get; init; } = [];
}

/// <summary>How a job is evaluated: a holdout (<see cref="Folds"/> = 0) or k-fold cross-validation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>0 for a holdout; 2 to 20 for k-fold cross-validation.</summary>
    public int Folds { get; init; }
    /// <summary>Keep each class's share in every part; null: stratified wherever there are classes.</summary>
    public bool? Stratified { get; init; }
    /// <summary>Measure permutation feature importance.</summary>
    public bool FeatureImportance { get; init; }
    /// <summary>Shuffles per column for feature importance; 0 for the default.</summary>
    public int Permutations { get; init; }
    /// <summary>
    /// Cross-validation only: run each fold as a job of its own, on whichever worker is free, then fit the model on every
    /// row and report the folds exactly as the serial run would (docs/training.md, "Folds in parallel").
    /// </summary>
    public bool ParallelFolds { get; init; }
}

/// <summary>
/// What one fold of a cross-validation measured when it ran as a job of its own: everything the job that aggregates the
/// folds needs, with the numbers exactly as computed (the bus's and the store's JSON keep doubles in round-trip form).
/// </summary>
public sealed record FoldOutcome
{
    /// <summary>1 to k.</summary>
    public required int Fold { get; init; }
    /// <summary>The fold's job.</summary>
    public Guid JobId { get; init; }
    public required long TrainingRows { get; init; }
    public required long EvaluatedRows { get; init; }
    /// <summary>The task's metrics on the fold's evaluated rows.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>Classification: <c>[actual][predicted]</c> counts of the fold's evaluated rows; empty otherwise.</summary>
    public IReadOnlyList<IReadOnlyList<long>> ConfusionCounts { get; init; } = [];
    /// <summary>Feature importance, when asked for: per column, the drop of the importance metric for each shuffle, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> ImportanceDrops { get; init; } = new Dictionary<string, IReadOnlyList<double>>();
    /// <summary>
    /// Where the worker staged the fold's scored rows (the model's outputs for each evaluated row, from which the predictions
    /// file and the model card are written) in the model store; null when it could not, and the final job then scores the
    /// fold itself.
    /// </summary>
    public StagedFoldRows? ScoredRows { get; init; }
}

/// <summary>A fold's scored rows, staged in the model store under <see cref="UploadId"/> (docs/registry.md, "Byte stream").</summary>
public sealed record StagedFoldRows(string UploadId, string Sha256, long SizeBytes);

/// <summary>
/// A finished evaluation: the task's metrics (holdout, or mean over the folds), their standard deviation over
/// the folds, each fold, per-class figures and the confusion matrix (pooled over the folds), and feature importance.
/// </summary>
public sealed record EvaluationResult
{
    /// <summary>"holdout" or "cross_validation".</summary>
    public required string Method { get; init; }
    public int Folds { get; init; }
    public double HoldoutFraction { get; init; }
    public bool Stratified { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double> StandardDeviations { get; init; } = new Dictionary<string, double>();
    public IReadOnlyList<FoldResult> FoldResults { get; init; } = [];
    public IReadOnlyList<ClassResult> Classes { get; init; } = [];
    /// <summary>Classification: the classes, in order, and <c>Counts[actual][predicted]</c>.</summary>
    public IReadOnlyList<string> ConfusionClasses { get; init; } = [];
    public IReadOnlyList<IReadOnlyList<long>> ConfusionCounts { get; init; } = [];
    /// <summary>The metric whose drop measures feature importance; null when not measured.</summary>
    public string? ImportanceMetric { get; init; }
    public IReadOnlyList<FeatureImportanceResult> FeatureImportance { get; init; } = [];
}

/// <summary>One fold of a cross-validation (numbered from 1).</summary>
public sealed record FoldResult(int Fold, long TrainingRows, long EvaluatedRows, IReadOnlyDictionary<string, double> Metrics);

/// <summary>One class's precision, recall and F1; <see cref="Support"/> counts the evaluated rows of the class.</summary>
public sealed record ClassResult(string Class, long Support, double Precision, double Recall, double F1);

/// <summary>How much the importance metric drops when the column is shuffled (mean and standard deviation).</summary>
public sealed record FeatureImportanceResult(string Column, double MeanDecrease, double StandardDeviation);

/// <summary>A worker has started an attempt of a job.</summary>
public sealed record TrainingJobStarted(Guid JobId, int Attempt, string Worker, DateTimeOffset At);

/// <summary>A worker reports how far an attempt has got (<see cref="Progress"/> in 0..1 within <see cref="Stage"/>).</summary>
public sealed record TrainingJobProgressed(Guid JobId, int Attempt, string Stage, double Progress, string Message, DateTimeOffset At);

/// <summary>An attempt ended with a registered model version (or, for an evaluate-only trial, with its metrics: version 0).</summary>
public sealed record TrainingJobCompleted
{
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
    public required string ModelName { get; init; }
    public required int ModelVersion { get; init; }
    public required string ModelSha256 { get; init; }
    /// <summary>Every figure by name: the task's metrics, per-class <c>f1[spam]</c>, and <c>accuracy_std</c> for a cross-validation.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>The evaluation in full; null from workers that predate it.</summary>
    public EvaluationResult? Evaluation { get; init; }
    /// <summary>A fold of a cross-validation run as a job of its own (<see cref="TrainModel.Fold"/>): what it measured; null otherwise.</summary>
    public FoldOutcome? Fold { get; init; }
    public required double TrainingSeconds { get; init; }
    public required string Worker { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>An attempt failed. <see cref="Permanent"/> failures (bad data, bad parameters) are not retried.</summary>
public sealed record TrainingJobFailed(Guid JobId, int Attempt, string Reason, bool Permanent, string Worker, DateTimeOffset At);
