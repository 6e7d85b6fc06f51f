using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Catalogue;
using Platform.Training.Preparation;

namespace Platform.Training.Pipeline;

/// <summary>
/// Builds the estimator a job trains: label conversion, the fitted preparation (features and their
/// scaling), the trainer, and (multiclass) the predicted key back to the class value. Everything here is
/// saved in the model. Data columns are transformed in place, so a loaded model's output still shows
/// every original column under its own name.
/// </summary>
internal static class ModelPipeline
{
    /// <param name="trainerContext">
    /// A context of its own for the trainer, seeded with the job's seed: ML.NET derives each
    /// component's random source from how many components the context created before it, so a
    /// trainer that draws from it (SDCA shuffles) would otherwise depend on the shape of the data.
    /// </param>
    /// <param name="classWeights">Class weighting: one weight per class of <paramref name="label"/>; null for none.</param>
    public static IEstimator<ITransformer> Build(
        MLContext ml, MLContext trainerContext, FittedPreparation preparation, LabelColumn? label, TrainerSettings settings, int seed,
        IReadOnlyList<double>? classWeights = null)
    {
        var binding = settings.Trainer.For(settings.Task);
        var pipeline = new EstimatorChain<ITransformer>();
        if (label?.Stage is not null)
            pipeline = pipeline.Append<ITransformer>(label.Stage);
        if (classWeights is not null)
            pipeline = pipeline.Append<ITransformer>(label!.WeightStage(ml, classWeights));
        pipeline = preparation.AppendTo(ml, pipeline);
        if (binding.MultiplePasses)
            pipeline = pipeline.AppendCacheCheckpoint(ml);
        pipeline = pipeline.Append<ITransformer>(Trainer(trainerContext, label, settings, seed, weighted: classWeights is not null));
        if (settings.Task == TrainingTask.MulticlassClassification)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapKeyToValue(DefaultColumnNames.PredictedLabel));
        return pipeline;
    }

    /// <summary>
    /// Creates the trainer <see cref="Build"/> creates, and nothing else, for a round that is not fitted here: the trainer
    /// context's random source moves on exactly as it does for a round that is (a trainer draws from it when it is created,
    /// never while it fits; <c>FoldFanOutTests</c> holds every trainer of the catalogue to that). A fold run on its own, and
    /// the final fit after the folds ran elsewhere, call this for each round before theirs, so their trainer gets the
    /// random source it gets in the serial run.
    /// </summary>
    public static void SkipRound(MLContext trainerContext, LabelColumn? label, TrainerSettings settings, int seed, bool weighted) =>
        Trainer(trainerContext, label, settings, seed, weighted);

    private static IEstimator<ITransformer> Trainer(MLContext trainerContext, LabelColumn? label, TrainerSettings settings, int seed, bool weighted) =>
        settings.Trainer.For(settings.Task).Create(
            new TrainerBuildContext(trainerContext, settings, label?.TrainingColumn ?? "", ReservedColumns.Features, seed,
                weighted ? ReservedColumns.Weight : null));
}

/// <summary>ML.NET's fixed output column names.</summary>
internal static class DefaultColumnNames
{
    public const string Score = "Score";
    public const string PredictedLabel = "PredictedLabel";
    public const string Probability = "Probability";
}
