using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Platform.Training.Catalogue;
using Platform.Training.Data;

namespace Platform.Training.Pipeline;

/// <summary>
/// Builds the estimator a job trains: label conversion, features, trainer, and (multiclass) the
/// predicted key back to the class value. Everything here is saved in the model.
/// </summary>
internal static class ModelPipeline
{
    /// <summary>
    /// Features are every column but the label, in file order: numbers with missing values replaced
    /// by the training mean, categories (and booleans) one-hot encoded with "missing" as a category of
    /// its own, concatenated into <see cref="ReservedColumns.Features"/> and, for linear trainers,
    /// scaled to [0, 1]. The data columns are transformed in place, so a loaded model's output still
    /// shows every original column under its own name.
    /// </summary>
    /// <param name="trainerContext">
    /// A context of its own for the trainer, seeded with the job's seed: ML.NET derives each
    /// component's random source from how many components the context created before it, so a
    /// trainer that draws from it (SDCA shuffles) would otherwise depend on the shape of the data.
    /// </param>
    public static IEstimator<ITransformer> Build(
        MLContext ml, MLContext trainerContext, IReadOnlyList<DatasetColumn> columns, LabelColumn label, TrainerSettings settings, int seed)
    {
        var features = columns.Where(column => column.Name != label.Source.Name).ToArray();
        var numeric = features.Where(c => c.Kind == ColumnKind.Numeric).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        var categorical = features.Where(c => c.Kind != ColumnKind.Numeric).Select(c => new InputOutputColumnPair(c.Name)).ToArray();
        var binding = settings.Trainer.For(settings.Task);

        var pipeline = new EstimatorChain<ITransformer>();
        if (label.Stage is not null)
            pipeline = pipeline.Append<ITransformer>(label.Stage);
        if (numeric.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.ReplaceMissingValues(numeric, MissingValueReplacingEstimator.ReplacementMode.Mean));
        if (categorical.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(categorical));
        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate(ReservedColumns.Features, [.. features.Select(c => c.Name)]));
        if (binding.NormalizeFeatures)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax(ReservedColumns.Features));
        pipeline = pipeline.Append<ITransformer>(binding.Create(new TrainerBuildContext(trainerContext, settings, label.TrainingColumn, ReservedColumns.Features, seed)));
        if (settings.Task == TrainingTask.MulticlassClassification)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Conversion.MapKeyToValue(DefaultColumnNames.PredictedLabel));
        return pipeline;
    }
}

/// <summary>ML.NET's fixed output column names.</summary>
internal static class DefaultColumnNames
{
    public const string Score = "Score";
    public const string PredictedLabel = "PredictedLabel";
    public const string Probability = "Probability";
}
