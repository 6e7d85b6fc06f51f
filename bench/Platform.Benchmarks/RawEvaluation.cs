using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Platform.Training.Evaluation;

namespace Platform.Benchmarks;

/// <summary>
/// How the raw ML.NET baselines of a classification evaluate: on the platform's rows of each round (the documented,
/// seeded, stratified <see cref="DataSplit"/>: a holdout, or k folds), one pipeline fitted on the training rows of a
/// round and a metric taken on its evaluated rows, averaged over the rounds as the platform averages folds. The
/// pipeline itself is the baseline's: what an ML.NET user writes for the task.
/// </summary>
public static class RawEvaluation
{
    /// <param name="Seconds">Wall time of everything: read, split, fit, evaluate.</param>
    /// <param name="Metric">The metric, the mean over the rounds.</param>
    /// <param name="FitSeconds">The fits alone (preparation and trainer), summed over the rounds.</param>
    /// <param name="PerRound">The metric of each round (each fold, in fold order).</param>
    public sealed record Outcome(double Seconds, double Metric, double FitSeconds, IReadOnlyList<double> PerRound);

    /// <summary>Builds the pipeline of one round.</summary>
    /// <param name="ml">The run's context, for the data and the transforms.</param>
    /// <param name="trainers">
    /// A context of the trainer's own, one for the whole run as in the platform: ML.NET draws each component's random
    /// source from how many components its context created before, so a trainer that shuffles (SDCA) gets the same
    /// draws in each fold as the platform's.
    /// </param>
    public delegate IEstimator<ITransformer> Pipeline(MLContext ml, MLContext trainers);

    /// <param name="load">Opens the rows. Every row must have its label: the platform would drop one without.</param>
    /// <param name="label">A text label; its classes are numbered in ordinal order, as the platform's strata are.</param>
    /// <param name="folds">0 for a holdout of <paramref name="holdoutFraction"/>, otherwise a stratified cross-validation with this many folds.</param>
    /// <param name="metric">The metric of a round, from its scored evaluated rows.</param>
    public static Outcome Run(
        Func<MLContext, IDataView> load, string label, int seed, int folds, double holdoutFraction, Pipeline pipeline, Func<MLContext, IDataView, double> metric)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed);
        var trainers = new MLContext(seed);
        var usable = ml.Data.Cache(load(ml));
        var strata = Classes(usable, label);
        // Each round marks the rows it evaluates.
        IReadOnlyList<bool[]> rounds = folds == 0
            ? [DataSplit.Holdout(strata.Length, strata, holdoutFraction, seed)]
            : [.. Enumerable.Range(0, folds).Select(fold => DataSplit.Folds(strata.Length, strata, folds, seed).Select(f => f == fold).ToArray())];

        var values = new List<double>();
        var fitSeconds = 0.0;
        foreach (var evaluated in rounds)
        {
            var train = ml.Data.Cache(new RowSubset(usable, [.. evaluated.Select(e => !e)]));
            var test = new RowSubset(usable, evaluated);
            var fitClock = Stopwatch.StartNew();
            var model = pipeline(ml, trainers).Fit(train);
            fitSeconds += fitClock.Elapsed.TotalSeconds;
            values.Add(metric(ml, model.Transform(test)));
        }
        return new Outcome(clock.Elapsed.TotalSeconds, values.Average(), fitSeconds, values);
    }

    /// <summary>The class of each row: the index of its label among the label's values in ordinal order.</summary>
    private static int[] Classes(IDataView rows, string label)
    {
        var values = new List<string>();
        using (var cursor = rows.GetRowCursor([rows.Schema[label]]))
        {
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(rows.Schema[label]);
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext())
            {
                get(ref value);
                if (value.IsEmpty)
                    throw new InvalidOperationException($"Row {values.Count + 1} has no {label}; the baseline's rows would not be the platform's.");
                values.Add(value.ToString());
            }
        }
        var index = values.Distinct().Order(StringComparer.Ordinal).Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal);
        return [.. values.Select(v => index[v])];
    }
}

/// <summary>
/// The platform catalogue's default hyperparameters (<c>TrainerCatalogue</c>), set on ML.NET's trainer options as a user
/// who wants those settings writes them.
/// </summary>
public static class CatalogueDefaults
{
    /// <summary>LightGBM: 100 rounds at 0.1, 31 leaves, 20 rows a leaf, L2 0.01; seeded and deterministic.</summary>
    public static void LightGbm<TOptions, TOutput, TTransformer, TModel>(
        LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase options, int seed)
        where TOptions : LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.NumberOfIterations = 100;
        options.LearningRate = 0.1;
        options.NumberOfLeaves = 31;
        options.MinimumExampleCountPerLeaf = 20;
        options.Booster = new GradientBooster.Options { L2Regularization = 0.01, L1Regularization = 0 };
        options.Seed = seed;
        options.Deterministic = true;
        options.ForceColumnWise = true;
    }

    /// <summary>SDCA: L2 0.0001, no L1, up to 100 passes, tolerance 0.1, one thread (its shuffles are then seeded).</summary>
    public static void Sdca<TOptions, TTransformer, TModel>(SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase options)
        where TOptions : SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.L2Regularization = 0.0001f;
        options.L1Regularization = 0;
        options.MaximumNumberOfIterations = 100;
        options.ConvergenceTolerance = 0.1f;
        options.NumberOfThreads = 1;
    }
}
