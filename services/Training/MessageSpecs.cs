using Platform.Contracts;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training;

/// <summary>
/// Between the bus messages (<see cref="TrainModel"/>, <see cref="TrainingJobCompleted"/>), where choices travel
/// as wire names, and the training library's types. The scheduler (validating a submission) and the worker
/// (running it) read a spec through the same functions, so they accept and reject exactly the same things.
/// </summary>
public static class MessageSpecs
{
    /// <summary>The spec a <see cref="TrainModel"/> asks for.</summary>
    /// <exception cref="SpecValidationException">A task or choice has an unknown wire name.</exception>
    public static TrainingSpec ToTrainingSpec(this TrainModel job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new TrainingSpec
        {
            Task = TrainingTasks.Parse(job.Task),
            LabelColumn = job.LabelColumn,
            Trainer = job.Trainer,
            Hyperparameters = job.Hyperparameters,
            Seed = job.Seed,
            HoldoutFraction = job.HoldoutFraction,
            Preparation = job.Preparation.ToDataPreparation(),
            Evaluation = job.Evaluation.ToEvaluationSpec(),
        };
    }

    /// <summary>The preparation a message describes; null gives the defaults. Errors name <c>preparation.…</c> fields.</summary>
    /// <exception cref="SpecValidationException">A choice has an unknown wire name.</exception>
    public static DataPreparation ToDataPreparation(this PreparationSpec? spec) => spec is null
        ? DataPreparation.Default
        : new DataPreparation
        {
            IncludeColumns = spec.IncludeColumns,
            ExcludeColumns = spec.ExcludeColumns,
            MissingValues = PreparationWireNames.ParseMissingValuePolicy(spec.MissingValues, "preparation.missing_values"),
            CategoricalEncoding = PreparationWireNames.ParseCategoricalEncoding(spec.CategoricalEncoding, "preparation.categorical_encoding"),
            HashingThreshold = spec.HashingThreshold,
            HashingBits = spec.HashingBits,
            Normalization = PreparationWireNames.ParseNormalization(spec.Normalization, "preparation.normalization"),
            Columns = [.. spec.Columns.Select((column, i) => new ColumnPreparation
            {
                Name = column.Name,
                MissingValues = PreparationWireNames.ParseMissingValuePolicy(column.MissingValues, $"preparation.columns[{i}].missing_values"),
                Encoding = PreparationWireNames.ParseColumnEncoding(column.Encoding, $"preparation.columns[{i}].encoding"),
                DateParts = column.DateParts.Count == 0 ? null
                    : [.. column.DateParts.Select((part, j) => DateParts.Parse(part, $"preparation.columns[{i}].date_parts[{j}]"))],
            })],
            UseSensitiveColumns = spec.UseSensitiveColumns,
            ClassWeighting = PreparationWireNames.ParseClassWeighting(spec.ClassWeighting, "preparation.class_weighting"),
            ClassWeights = spec.ClassWeights,
        };

    /// <summary>The evaluation a message describes; null gives a stratified holdout.</summary>
    public static EvaluationSpec ToEvaluationSpec(this EvaluationOptions? options) => options is null
        ? EvaluationSpec.Default
        : new EvaluationSpec
        {
            Folds = options.Folds,
            Stratified = options.Stratified,
            FeatureImportance = options.FeatureImportance,
            Permutations = options.Permutations,
            ParallelFolds = options.ParallelFolds,
        };

    /// <summary>The report as <see cref="TrainingJobCompleted.Evaluation"/> carries it (the bus's JSON keeps NaN and infinities as named literals).</summary>
    public static EvaluationResult ToMessage(this EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new EvaluationResult
        {
            Method = report.Method == EvaluationMethod.Holdout ? "holdout" : "cross_validation",
            Folds = report.Folds,
            HoldoutFraction = report.HoldoutFraction,
            Stratified = report.Stratified,
            Metrics = report.Metrics,
            StandardDeviations = report.StandardDeviations,
            FoldResults = [.. report.FoldResults.Select(f => new FoldResult(f.Fold, f.TrainingRows, f.EvaluatedRows, f.Metrics))],
            Classes = [.. report.Classes.Select(c => new ClassResult(c.Class, c.Support, c.Precision, c.Recall, c.F1))],
            ConfusionClasses = report.ConfusionMatrix?.Classes ?? [],
            ConfusionCounts = report.ConfusionMatrix?.Counts ?? [],
            ImportanceMetric = report.ImportanceMetric,
            FeatureImportance = [.. report.FeatureImportance.Select(f => new FeatureImportanceResult(f.Column, f.MeanDecrease, f.StandardDeviation))],
        };
    }
}
