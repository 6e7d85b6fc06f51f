using Platform.Training.Catalogue;

namespace Platform.Training.Pipeline;

/// <summary>
/// Failures inside an ML.NET trainer that are the data's doing, not a bug: turned into a <see cref="TrainingDataException"/>
/// that says what to change, instead of an exception from deep inside ML.NET.
/// </summary>
internal static class TrainerFailures
{
    /// <summary>
    /// When no split of the training rows is allowed (too few rows for <c>minimum_example_count_per_leaf</c> on both
    /// sides, or no feature that separates them), LightGBM's binary trees are single leaves, and ML.NET fails turning such
    /// a tree into its own (<c>RegressionTreeBase</c>) with an <see cref="ArgumentNullException"/> ("items"). (Regression
    /// and multiclass models then predict a constant, which ML.NET accepts: those jobs succeed.)
    /// </summary>
    public static bool NoUsefulSplit(TrainerSettings settings, Exception exception) =>
        settings.Trainer.Name == "lightgbm"
        && exception is ArgumentNullException
        && exception.StackTrace?.Contains("Microsoft.ML.Trainers.LightGbm.", StringComparison.Ordinal) == true;

    public static TrainingDataException NoUsefulSplitError(TrainerSettings settings, string? labelName, long rowCount, string rowsName, Exception exception) =>
        new(labelName,
            $"LightGBM found no useful split in {rowsName}, so it could not grow a single tree: with minimum_example_count_per_leaf " +
            $"{settings.Hyperparameters.GetValueOrDefault("minimum_example_count_per_leaf", "?")} a split needs at least twice that many rows " +
            $"({rowCount} here) and a feature that separates them. Use more data, or lower minimum_example_count_per_leaf.",
            exception);
}
