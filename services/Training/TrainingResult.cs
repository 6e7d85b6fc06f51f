using Platform.Training.Catalogue;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training;

/// <summary>Where a run is: <see cref="Fraction"/> (0..1) of <see cref="Stage"/> is done.</summary>
public readonly record struct TrainingProgress(TrainingStage Stage, double Fraction, string Message);

/// <summary>The stages of a training run, in order.</summary>
public enum TrainingStage
{
    /// <summary>Reading the CSV, profiling the label, dropping rows, splitting.</summary>
    Loading,
    /// <summary>Fitting the preparation and the model: once for a holdout, once per fold and once on every row for a cross-validation.</summary>
    Training,
    /// <summary>Scoring the evaluated rows: metrics, feature importance and the predictions CSV.</summary>
    Evaluating,
    /// <summary>Writing the model zip and the evaluation.</summary>
    Saving,
}

/// <summary>A file a run wrote, with its SHA-256 (lower-case hex) and size, computed while writing it.</summary>
public sealed record TrainingArtifact(string Path, string Sha256, long SizeBytes);

/// <summary>How the data set's rows were used.</summary>
/// <param name="Total">Rows in the file.</param>
/// <param name="MissingLabel">Rows dropped because their label was missing.</param>
/// <param name="MissingFeature">Rows dropped because a drop_row column was missing (after those without a label).</param>
/// <param name="Training">Rows the saved model was fitted on (every remaining row, for a cross-validation).</param>
/// <param name="Evaluated">Rows evaluated (the rows of the predictions CSV): the holdout, or every remaining row once.</param>
public sealed record TrainingRowCounts(long Total, long MissingLabel, long MissingFeature, long Training, long Evaluated);

/// <summary>Time spent per stage.</summary>
/// <param name="Steps">
/// The steps within the stages, in the order they ran (<see cref="TrainingSteps"/>): where a run's seconds went, for logs
/// and benchmarks.
/// </param>
public sealed record TrainingTimings(TimeSpan Loading, TimeSpan Training, TimeSpan Evaluating, TimeSpan Saving, IReadOnlyList<StepTiming> Steps)
{
    public TimeSpan Total => Loading + Training + Evaluating + Saving;
}

/// <summary>How long one named step took.</summary>
public sealed record StepTiming(string Step, TimeSpan Elapsed)
{
    /// <summary>The steps as one line for a log: <c>cache_rows 1.032 s, check_features 0.051 s, …</c>.</summary>
    public static string Describe(IEnumerable<StepTiming> steps) =>
        string.Join(", ", steps.Select(s => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s.Step} {s.Elapsed.TotalSeconds:0.000} s")));
}

/// <summary>The steps of a run that <see cref="TrainingTimings.Steps"/> names.</summary>
public static class TrainingSteps
{
    /// <summary>Reading the columns the model uses into memory in one pass, which also profiles the label (rows, missing values, classes).</summary>
    public const string CacheRows = "cache_rows";
    /// <summary>Checking every feature has a value in some row (and, without a label, counting the rows).</summary>
    public const string CheckFeatures = "check_features";
    /// <summary>Dropping rows that miss a drop_row column, and the seeded split.</summary>
    public const string Split = "split";
    /// <summary>Fitting the preparation and the model (every fold, then the final model, for a cross-validation).</summary>
    public const string Fit = "fit";
    /// <summary>Scoring the evaluated rows once and computing the metrics.</summary>
    public const string Evaluate = "evaluate";
    /// <summary>Keeping what the model card draws of the evaluated rows (true and predicted values, scores), from the scored rows in memory; alongside <see cref="Evaluate"/>, reading the rows as they are scored.</summary>
    public const string CardRows = "card_rows";
    /// <summary>Permutation feature importance, when asked for.</summary>
    public const string FeatureImportance = "feature_importance";
    /// <summary>Writing <c>predictions.csv</c> from the scored rows; alongside <see cref="Evaluate"/>, writing the rows as they are scored (so its time includes waiting for them).</summary>
    public const string Predictions = "predictions";
    /// <summary>Writing <c>model.zip</c>; alongside <see cref="Evaluate"/>, from the end of the fit.</summary>
    public const string ModelZip = "model_zip";
    /// <summary>Writing <c>evaluation.json</c>.</summary>
    public const string EvaluationJson = "evaluation_json";
    /// <summary>A fold run alone: writing its scored rows (<see cref="TrainingRun.ScoredRowsFileName"/>).</summary>
    public const string ScoredRows = "scored_rows";
}

/// <summary>
/// One fold of a cross-validation whose folds ran on their own, as the run that ends the cross-validation gets it
/// (<see cref="TrainingRun.ExecuteAsync(Data.DatasetFile, TrainingSpec, IReadOnlyList{FoldInput}, string, IProgress{TrainingProgress}?, CancellationToken)"/>).
/// </summary>
/// <param name="Outcome">What the fold's run measured (<see cref="FoldRunResult.Outcome"/>).</param>
/// <param name="ScoredRowsFile">The fold's scored rows (<see cref="FoldRunResult.ScoredRows"/>); null when they are not at hand, and the fold is then fitted and scored again.</param>
public sealed record FoldInput(Platform.Contracts.FoldOutcome Outcome, string? ScoredRowsFile);

/// <summary>What a fold run alone produced (<see cref="TrainingRun.ExecuteFoldAsync"/>).</summary>
/// <param name="Outcome">The fold's rows, metrics, confusion counts and feature-importance drops, exactly as the serial run computes them.</param>
/// <param name="ScoredRows">The fold's evaluated rows with the model's outputs, for the run that writes the predictions file and the model card.</param>
/// <param name="Settings">The trainer with every hyperparameter resolved.</param>
public sealed record FoldRunResult(Platform.Contracts.FoldOutcome Outcome, TrainingArtifact ScoredRows, TrainerSettings Settings, TrainingTimings Timings);

/// <summary>A column a model reads or adds, with its ML.NET type as the pipeline reports it (<c>Single</c>, <c>String</c>, <c>Vector&lt;Single, 3&gt;</c>).</summary>
public sealed record ModelColumn(string Name, string Type);

/// <summary>What a finished run produced.</summary>
public sealed record TrainingResult
{
    /// <summary>The trainer and every hyperparameter as used (defaults filled in): what to record with the model.</summary>
    public required TrainerSettings Settings { get; init; }

    /// <summary>
    /// Every figure in one flat map (see <see cref="EvaluationReport.FlatMetrics"/>): the task's metrics,
    /// per-class precision, recall and F1, and for a cross-validation each metric's standard deviation.
    /// </summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>The evaluation in full: method, folds, per-class figures, confusion matrix, feature importance.</summary>
    public required EvaluationReport Evaluation { get; init; }

    /// <summary>The preparation of the saved model, as fitted on its training rows.</summary>
    public required IReadOnlyList<PreparationStep> Preparation { get; init; }

    /// <summary>Classification: the classes in the model's key order; binary: [negative, positive]. Empty otherwise.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    public required TrainingRowCounts Rows { get; init; }

    public required TrainingTimings Timings { get; init; }

    /// <summary>The columns the model reads: the data set's, in file order.</summary>
    public required IReadOnlyList<ModelColumn> InputSchema { get; init; }

    /// <summary>The prediction columns the model adds (<c>PredictedLabel</c>, <c>Score</c>, <c>Probability</c>).</summary>
    public required IReadOnlyList<ModelColumn> OutputSchema { get; init; }

    /// <summary>The ML.NET model zip, saved with its data loader.</summary>
    public required TrainingArtifact Model { get; init; }

    /// <summary>The evaluated rows with their predictions (format: see <see cref="TrainingRun"/>).</summary>
    public required TrainingArtifact Predictions { get; init; }

    /// <summary>The evaluation and everything needed to re-run the job, as JSON (format: see <see cref="TrainingRun"/>).</summary>
    public required TrainingArtifact EvaluationFile { get; init; }

    /// <summary>The label over every row of the data set, as the run's first pass counted it (the model card's label table); null without a label.</summary>
    internal Pipeline.LabelValues? LabelValues { get; init; }

    /// <summary>What the model card draws of the evaluated rows (regression and binary classification), taken from the scored rows.</summary>
    internal ModelCards.EvaluatedRows? EvaluatedRows { get; init; }
}
