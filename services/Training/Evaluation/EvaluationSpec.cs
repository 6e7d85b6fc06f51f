namespace Platform.Training.Evaluation;

/// <summary>
/// How a job is evaluated: on a holdout split (<see cref="Folds"/> = 0, the share set by
/// <see cref="TrainingSpec.HoldoutFraction"/>) or by k-fold cross-validation, stratified by class or not,
/// with permutation feature importance on request.
/// </summary>
public sealed record EvaluationSpec
{
    /// <summary>The fewest and most folds of a cross-validation.</summary>
    public const int MinFolds = 2;
    public const int MaxFolds = 20;

    /// <summary>How often each column is shuffled for feature importance, by default.</summary>
    public const int DefaultPermutations = 5;
    public const int MaxPermutations = 100;

    /// <summary>Holdout with the defaults: stratified for classification, no feature importance.</summary>
    public static EvaluationSpec Default { get; } = new();

    /// <summary>
    /// 0: evaluate on a holdout split. 2 to 20: k-fold cross-validation: each row is evaluated once, by the
    /// model of the fold that did not train on it; the metrics are the mean over the folds, and the model
    /// saved is then fitted on every row.
    /// </summary>
    public int Folds { get; init; }

    /// <summary>
    /// Whether the split keeps each class's share in every part (classification, and clustering with a
    /// label). Null: stratified where there are classes, at random otherwise.
    /// </summary>
    public bool? Stratified { get; init; }

    /// <summary>Whether to measure permutation feature importance on the evaluation rows.</summary>
    public bool FeatureImportance { get; init; }

    /// <summary>Shuffles per column for feature importance (1 to 100); 0 for <see cref="DefaultPermutations"/>.</summary>
    public int Permutations { get; init; }

    /// <summary>The shuffles per column feature importance makes: <see cref="Permutations"/>, or the default.</summary>
    public int PermutationCount => Permutations == 0 ? DefaultPermutations : Permutations;

    /// <summary>
    /// Cross-validation only: each fold runs as a job of its own, on whichever worker is free, and a last job fits the model
    /// on every row and reports the folds (<see cref="TrainingRun.ExecuteFoldAsync"/>, then <see cref="TrainingRun.ExecuteAsync(Data.DatasetFile, TrainingSpec, IReadOnlyList{FoldInput}, string, IProgress{TrainingProgress}?, CancellationToken)"/>).
    /// The figures, the predictions and the model are those of the serial run: how the work is spread changes nothing the run computes.
    /// </summary>
    public bool ParallelFolds { get; init; }

    /// <summary>Whether this is a cross-validation.</summary>
    public bool CrossValidates => Folds > 0;

    /// <summary>Checks the choices against the task; field names are relative to the job spec (<c>evaluation.folds</c>).</summary>
    /// <param name="hasClasses">The label has classes: classification, or clustering with a label.</param>
    /// <exception cref="SpecValidationException">A value is out of range or does not apply to the task.</exception>
    public void Validate(TrainingTask task, bool hasClasses)
    {
        if (Folds != 0 && Folds is < MinFolds or > MaxFolds)
            throw new SpecValidationException("evaluation.folds", $"{Folds} is out of range; expected 0 (holdout) or a value from {MinFolds} to {MaxFolds}");
        if (ParallelFolds && !CrossValidates)
            throw new SpecValidationException("evaluation.parallel_folds", "runs the folds of a cross-validation in parallel; set evaluation.folds to 2 to 20 as well, or leave it unset");
        if (Stratified == true && !hasClasses)
            throw new SpecValidationException("evaluation.stratified",
                $"{task.ToWireName()} has no classes to stratify by{(task == TrainingTask.Clustering ? " (give a label column)" : "")}; leave it unset or false");
        if (FeatureImportance && task == TrainingTask.Clustering)
            throw new SpecValidationException("evaluation.feature_importance", "is not available for clustering: there is no prediction to score against");
        if (Permutations is < 0 or > MaxPermutations)
            throw new SpecValidationException("evaluation.permutations", $"{Permutations} is out of range; expected 0 (default {DefaultPermutations}) or a value from 1 to {MaxPermutations}");
    }
}
