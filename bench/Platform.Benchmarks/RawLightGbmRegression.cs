using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using Platform.Training;
using Platform.Training.Evaluation;

namespace Platform.Benchmarks;

/// <summary>
/// The baseline: what the worker does for a LightGBM regression job with default settings, written directly against
/// ML.NET, the way a user without the platform would. The rows and their order are the platform's (the label's
/// missing rows dropped, then the documented seeded <see cref="DataSplit.Holdout"/>), so that both sides fit the same
/// model and print the same RMSE; the preparation is the platform's default (numeric gaps filled with the training
/// mean, categories one-hot encoded, features in column order); the trainer options are the catalogue's defaults.
/// </summary>
public static class RawLightGbmRegression
{
    /// <param name="Steps">Where the time went, to compare with the platform's steps: <c>count_rows</c> (a pass that
    /// reads no column), <c>split</c>, <c>fit</c> (it reads the columns from the file into the cache on its first pass,
    /// which the platform does in <c>cache_rows</c>), <c>evaluate</c> (the model's pass over the held-out rows).</param>
    public sealed record Outcome(double Seconds, double Rmse, long TrainingRows, long EvaluatedRows, IReadOnlyList<StepTiming> Steps);

    /// <param name="load">Opens the rows (the same reader the platform uses for the format).</param>
    public static Outcome Run(Func<MLContext, IDataView> load, string label, string[] numericFeatures, string[] categoricalFeatures, int seed)
    {
        var clock = Stopwatch.StartNew();
        var steps = new List<StepTiming>();
        var step = Stopwatch.GetTimestamp();
        void Lap(string name)
        {
            steps.Add(new StepTiming(name, Stopwatch.GetElapsedTime(step)));
            step = Stopwatch.GetTimestamp();
        }
        var ml = new MLContext(seed);
        var usable = ml.Data.Cache(ml.Data.FilterRowsByMissingValues(load(ml), label));
        var rows = 0;
        using (var cursor = usable.GetRowCursor([]))
            while (cursor.MoveNext()) rows++;
        Lap("count_rows");
        var heldOut = DataSplit.Holdout(rows, null, TrainingSpec.DefaultHoldoutFraction, seed);
        var train = ml.Data.Cache(new RowSubset(usable, [.. heldOut.Select(h => !h)]));
        var test = new RowSubset(usable, heldOut);
        Lap("split");

        var pipeline = new EstimatorChain<ITransformer>()
            .Append<ITransformer>(ml.Transforms.ReplaceMissingValues(
                [.. numericFeatures.Select(c => new InputOutputColumnPair(c))], MissingValueReplacingEstimator.ReplacementMode.Mean));
        if (categoricalFeatures.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding([.. categoricalFeatures.Select(c => new InputOutputColumnPair(c))]));
        var estimator = pipeline
            .Append<ITransformer>(ml.Transforms.Concatenate("Features", [.. numericFeatures, .. categoricalFeatures]))
            // The trainer gets a context of its own, as in the platform, so its random draws depend on the seed alone.
            .Append(new MLContext(seed).Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = label,
                FeatureColumnName = "Features",
                NumberOfIterations = 100,
                LearningRate = 0.1,
                NumberOfLeaves = 31,
                MinimumExampleCountPerLeaf = 20,
                Booster = new GradientBooster.Options { L2Regularization = 0.01, L1Regularization = 0 },
                Seed = seed,
                Deterministic = true,
                ForceColumnWise = true,
            }));
        var model = estimator.Fit(train);
        Lap("fit");
        var metrics = ml.Regression.Evaluate(model.Transform(test), labelColumnName: label);
        Lap("evaluate");
        return new Outcome(clock.Elapsed.TotalSeconds, metrics.RootMeanSquaredError, heldOut.LongCount(h => !h), heldOut.LongCount(h => h), steps);
    }
}
