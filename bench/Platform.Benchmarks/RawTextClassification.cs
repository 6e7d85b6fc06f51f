using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// The baseline of the text benchmarks: what the worker does for a binary text job with default settings, written
/// directly against ML.NET. The rows and their split are the platform's (the documented seeded, stratified
/// <see cref="DataSplit"/>), the featurisation is the platform's default (<see cref="TextFeaturization"/>: each text
/// column featurised on its own, then concatenated in column order; min-max scaling for linear trainers), the trainer
/// options are the catalogue's defaults. So both sides fit the same models and print the same F1.
/// </summary>
public static class RawTextClassification
{
    /// <summary>Trainers the baseline writes out.</summary>
    public static readonly string[] Trainers = ["lightgbm", "sdca_logistic", "averaged_perceptron"];

    /// <param name="Seconds">Wall time of everything: read, split, featurise, fit, evaluate.</param>
    /// <param name="F1">F1 of the positive class on the evaluated rows (a cross-validation: the mean over the folds).</param>
    /// <param name="FitSeconds">The fits alone (featurisation and trainer), summed over folds.</param>
    public sealed record Outcome(double Seconds, double F1, double FitSeconds);

    /// <param name="load">Opens the rows (the same reader the platform uses for the format).</param>
    /// <param name="label">The label column; <paramref name="positive"/> is its positive value.</param>
    /// <param name="textColumns">The text features, in column order.</param>
    /// <param name="trainer">One of <see cref="Trainers"/>.</param>
    /// <param name="folds">0 for the default holdout, otherwise a stratified cross-validation with this many folds.</param>
    public static Outcome Run(
        Func<MLContext, IDataView> load, string label, string positive, string[] textColumns, string trainer, int seed, int folds,
        double holdoutFraction)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed);
        // Every row of the corpus has its label (ML.NET cannot filter text on missing values; the platform drops empty labels).
        var usable = ml.Data.Cache(load(ml));
        var strata = new List<int>();
        using (var cursor = usable.GetRowCursor([usable.Schema[label]]))
        {
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(usable.Schema[label]);
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext())
            {
                get(ref value);
                strata.Add(value.Span.SequenceEqual(positive) ? 1 : 0);
            }
        }
        // Each split marks the rows it evaluates.
        IReadOnlyList<bool[]> splits = folds == 0
            ? [DataSplit.Holdout(strata.Count, strata, holdoutFraction, seed)]
            : [.. Enumerable.Range(0, folds).Select(fold => DataSplit.Folds(strata.Count, strata, folds, seed).Select(f => f == fold).ToArray())];

        var f1s = new List<double>();
        var fitSeconds = 0.0;
        foreach (var evaluated in splits)
        {
            var train = ml.Data.Cache(new RowSubset(usable, [.. evaluated.Select(e => !e)]));
            var test = new RowSubset(usable, evaluated);
            var fitClock = Stopwatch.StartNew();
            var model = Pipeline(ml, label, positive, textColumns, trainer, seed).Fit(train);
            fitSeconds += fitClock.Elapsed.TotalSeconds;
            f1s.Add(ml.BinaryClassification.EvaluateNonCalibrated(model.Transform(test), "Label").F1Score);
        }
        return new Outcome(clock.Elapsed.TotalSeconds, f1s.Average(), fitSeconds);
    }

    private static EstimatorChain<ITransformer> Pipeline(MLContext ml, string label, string positive, string[] textColumns, string trainer, int seed)
    {
        var pipeline = new EstimatorChain<ITransformer>()
            .Append<ITransformer>(ml.Transforms.Expression("Label", $"s => s == \"{positive}\"", label));
        foreach (var column in textColumns)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Text.FeaturizeText(column, TextFeaturization.Options(), column));
        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate("Features", textColumns));
        // Linear trainers make several passes: cached once featurised and scaled, as the platform does (and ML.NET
        // advises), otherwise every pass featurises the text again.
        var linear = pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax("Features")).AppendCacheCheckpoint(ml);
        // The trainer gets a context of its own, as in the platform, so its random draws depend on the seed alone.
        var trainers = new MLContext(seed).BinaryClassification.Trainers;
        return trainer switch
        {
            "lightgbm" => pipeline.Append<ITransformer>(trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                NumberOfIterations = 100, LearningRate = 0.1, NumberOfLeaves = 31, MinimumExampleCountPerLeaf = 20,
                Booster = new GradientBooster.Options { L2Regularization = 0.01, L1Regularization = 0 },
                Seed = seed, Deterministic = true, ForceColumnWise = true,
            })),
            "sdca_logistic" => linear.Append<ITransformer>(
                trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
                {
                    L2Regularization = 0.0001f, L1Regularization = 0, MaximumNumberOfIterations = 100, ConvergenceTolerance = 0.1f, NumberOfThreads = 1,
                })),
            "averaged_perceptron" => linear.Append<ITransformer>(
                trainers.AveragedPerceptron(new AveragedPerceptronTrainer.Options
                {
                    LearningRate = 1, DecreaseLearningRate = false, L2Regularization = 0, NumberOfIterations = 10,
                })),
            _ => throw new ArgumentOutOfRangeException(nameof(trainer), trainer, "Not a trainer the baseline writes out."),
        };
    }
}
