using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// The baseline of the text benchmarks: what the worker does for a binary text job with default settings, written
/// directly against ML.NET. The rows and their split are the platform's (<see cref="RawEvaluation"/>), the
/// featurisation is the platform's default (<see cref="TextFeaturization"/>: each text column featurised on its own,
/// then concatenated in column order; min-max scaling for linear trainers), the trainer options are the catalogue's
/// defaults (<see cref="CatalogueDefaults"/>). So both sides fit the same models and print the same F1.
/// </summary>
public static class RawTextClassification
{
    /// <summary>Trainers the baseline writes out.</summary>
    public static readonly string[] Trainers = ["lightgbm", "sdca_logistic", "averaged_perceptron"];

    /// <param name="load">Opens the rows (the same reader the platform uses for the format).</param>
    /// <param name="label">The label column; <paramref name="positive"/> is its positive value (the greater in ordinal order, as in the platform).</param>
    /// <param name="textColumns">The text features, in column order.</param>
    /// <param name="trainer">One of <see cref="Trainers"/>.</param>
    /// <param name="folds">0 for the default holdout, otherwise a stratified cross-validation with this many folds.</param>
    /// <returns>F1 of the positive class as the metric (a cross-validation: the mean over the folds).</returns>
    public static RawEvaluation.Outcome Run(
        Func<MLContext, IDataView> load, string label, string positive, string[] textColumns, string trainer, int seed, int folds,
        double holdoutFraction) =>
        RawEvaluation.Run(load, label, seed, folds, holdoutFraction,
            (ml, trainers) => Pipeline(ml, trainers.BinaryClassification.Trainers, label, positive, textColumns, trainer, seed),
            (ml, scored) => ml.BinaryClassification.EvaluateNonCalibrated(scored, "Label").F1Score);

    private static EstimatorChain<ITransformer> Pipeline(
        MLContext ml, BinaryClassificationCatalog.BinaryClassificationTrainers trainers, string label, string positive, string[] textColumns, string trainer, int seed)
    {
        var pipeline = new EstimatorChain<ITransformer>()
            .Append<ITransformer>(ml.Transforms.Expression("Label", $"s => s == \"{positive}\"", label));
        foreach (var column in textColumns)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Text.FeaturizeText(column, TextFeaturization.Options(), column));
        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate("Features", textColumns));
        // Linear trainers make several passes: cached once featurised and scaled, as the platform does (and ML.NET
        // advises), otherwise every pass featurises the text again.
        var linear = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax("Features")).AppendCacheCheckpoint(ml);
        switch (trainer)
        {
            case "lightgbm":
                var lightGbm = new LightGbmBinaryTrainer.Options();
                CatalogueDefaults.LightGbm(lightGbm, seed);
                return pipeline.Append<ITransformer>(trainers.LightGbm(lightGbm));
            case "sdca_logistic":
                var sdca = new SdcaLogisticRegressionBinaryTrainer.Options();
                CatalogueDefaults.Sdca(sdca);
                return linear.Append<ITransformer>(trainers.SdcaLogisticRegression(sdca));
            case "averaged_perceptron":
                return linear.Append<ITransformer>(trainers.AveragedPerceptron(new AveragedPerceptronTrainer.Options
                {
                    LearningRate = 1, DecreaseLearningRate = false, L2Regularization = 0, NumberOfIterations = 10,
                }));
            default:
                throw new ArgumentOutOfRangeException(nameof(trainer), trainer, "Not a trainer the baseline writes out.");
        }
    }
}
