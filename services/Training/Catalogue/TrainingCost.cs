using Platform.Training.Evaluation;

namespace Platform.Training.Catalogue;

/// <summary>A data set's size as known before anything is read: its rows and its feature columns by kind (the label not counted).</summary>
public sealed record DataShape(long Rows, int NumericColumns, int CategoricalColumns, int TextColumns);

/// <summary>An estimate of an attempt's run time (<see cref="TrainingCost"/>), as a whole and in parts.</summary>
/// <param name="Seconds">The attempt, start to registered model.</param>
/// <param name="RunSeconds">The training run alone (loading, preparing, the fits, evaluating, saving), without the worker's own steps.</param>
/// <param name="FitSeconds">The trainer's fits alone (one, or one per fold plus the final one).</param>
/// <param name="Fits">How many fits the evaluation asks for.</param>
public sealed record TrainingCostEstimate(double Seconds, double RunSeconds, double FitSeconds, int Fits);

/// <summary>
/// How long an attempt will probably run, from the data set's size and the resolved hyperparameters alone, before
/// anything has run (docs/training.md, "Cost estimate"). Each trainer's work is counted in the operations that dominate
/// it (a boosted tree: every row and feature once per round plus every leaf's histogram of bins; a linear learner:
/// rows × features per pass; k-means: rows × features × clusters per iteration), times seconds per operation measured
/// per trainer on the sample data sets (<c>make bench ARGS="--filter TrainingCost"</c>), plus the worker's own steps and
/// a cost per cell read, evaluated and written. Coarse by design: what is not known at submission is assumed
/// (<see cref="AssumedClasses"/> classes, <see cref="CategoricalWidth"/> one-hot features per categorical column,
/// <see cref="TextWidth"/> features per text column, convergence after <see cref="ConvergedPasses"/> passes where a learner
/// stops early), so the estimate tells a minute from an hour, not 40 s from 50 s.
/// </summary>
public static class TrainingCost
{
    /// <summary>Classes a multiclass label is assumed to have (the count is only known once the data is read).</summary>
    public const int AssumedClasses = 3;

    /// <summary>Features one categorical column is assumed to become (one-hot over its distinct values).</summary>
    public const int CategoricalWidth = 8;

    /// <summary>Features one text column is assumed to become (words, bigrams, character trigrams present in a row).</summary>
    public const int TextWidth = 200;

    /// <summary>Passes after which the learners that stop on a tolerance (SDCA, L-BFGS, k-means) are assumed to have converged.</summary>
    public const int ConvergedPasses = 30;

    /// <summary>Bins of a feature's histogram in LightGBM and FastTree (their default).</summary>
    private const int HistogramBins = 255;

    /// <summary>The worker's steps around the training run: download, model card, ONNX export, registration (seconds).</summary>
    private const double WorkerSeconds = 1.5;

    /// <summary>Reading, preparing, scoring and writing one cell (row × column), seconds.</summary>
    private const double SecondsPerCell = 2e-7;

    /// <summary>Seconds per counted operation, per trainer (measured; see the class summary).</summary>
    private static readonly Dictionary<string, double> SecondsPerOperation = new(StringComparer.Ordinal)
    {
        ["lightgbm"] = 4e-9,
        ["fast_tree"] = 8e-9,
        ["fast_forest"] = 8e-9,
        ["gam"] = 4e-9,
        ["sdca_logistic"] = 1e-8,
        ["sdca_maximum_entropy"] = 1e-8,
        ["sdca_regression"] = 1e-8,
        ["lbfgs_logistic"] = 1e-8,
        ["lbfgs_maximum_entropy"] = 1e-8,
        ["lbfgs_poisson"] = 1e-8,
        ["averaged_perceptron"] = 1e-8,
        ["linear_svm"] = 1e-8,
        ["online_gradient_descent"] = 1e-8,
        ["kmeans"] = 1e-8,
    };

    /// <summary>Estimates an attempt of <paramref name="settings"/> on data of <paramref name="shape"/>, evaluated as <paramref name="evaluation"/> says.</summary>
    public static TrainingCostEstimate Estimate(TrainerSettings settings, DataShape shape, EvaluationSpec evaluation, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(evaluation);
        var rows = Math.Max(1, shape.Rows);
        var features = Math.Max(1, shape.NumericColumns + CategoricalWidth * shape.CategoricalColumns + TextWidth * shape.TextColumns);
        var columns = shape.NumericColumns + shape.CategoricalColumns + shape.TextColumns + 1;

        double fitSeconds;
        int fits;
        long evaluated;
        if (evaluation.CrossValidates)
        {
            // One fit per fold on the others' rows, then the model saved, fitted on every row.
            fits = evaluation.Folds + 1;
            fitSeconds = evaluation.Folds * Fit(settings, rows * (evaluation.Folds - 1) / evaluation.Folds, features) + Fit(settings, rows, features);
            evaluated = rows;
        }
        else
        {
            fits = 1;
            var holdout = (long)Math.Round(rows * holdoutFraction);
            fitSeconds = Fit(settings, rows - holdout, features);
            evaluated = holdout;
        }
        // Read and prepared once per fit, every evaluated row scored, and the predictions written.
        var cells = (double)rows * columns * (fits + 1) + evaluated * columns;
        if (evaluation.FeatureImportance) cells += (double)evaluated * columns * columns * evaluation.PermutationCount;
        var run = cells * SecondsPerCell + fitSeconds;
        return new TrainingCostEstimate(WorkerSeconds + run, run, fitSeconds, fits);
    }

    /// <summary>Seconds of one fit on <paramref name="rows"/> rows of <paramref name="features"/> features.</summary>
    private static double Fit(TrainerSettings settings, long rows, int features)
    {
        var classes = settings.Task == TrainingTask.MulticlassClassification ? AssumedClasses : 1;
        double rowFeatures = (double)Math.Max(1, rows) * features;
        var operations = settings.Trainer.Name switch
        {
            "lightgbm" => Rounds(settings.GetInt("number_of_iterations")) * classes
                          * (rowFeatures + Leaves(settings, rows, "number_of_leaves") * features * HistogramBins),
            "fast_tree" => Rounds(settings.GetInt("number_of_trees")) * classes
                           * (rowFeatures + Leaves(settings, rows, "number_of_leaves") * features * HistogramBins),
            "fast_forest" => Rounds(settings.GetInt("number_of_trees"))
                             * (rowFeatures * settings.GetDouble("bagging_example_fraction")
                                + Leaves(settings, rows, "number_of_leaves") * features * settings.GetDouble("feature_fraction") * HistogramBins),
            // One-feature trees over every feature each round; the bins of a feature are at most its distinct values.
            "gam" => Rounds(settings.GetInt("number_of_iterations"))
                     * (rowFeatures + (double)features * Math.Min(settings.GetInt("maximum_bin_count_per_feature"), Math.Max(1, rows))),
            "sdca_logistic" or "sdca_maximum_entropy" or "sdca_regression" =>
                Converged(settings.GetInt("maximum_number_of_iterations")) * rowFeatures * classes,
            "lbfgs_logistic" or "lbfgs_maximum_entropy" or "lbfgs_poisson" =>
                Converged(settings.GetInt("maximum_number_of_iterations")) * rowFeatures * classes,
            "averaged_perceptron" or "linear_svm" or "online_gradient_descent" =>
                Rounds(settings.GetInt("number_of_iterations")) * rowFeatures * classes,
            "kmeans" => Converged(settings.GetInt("maximum_number_of_iterations")) * rowFeatures * settings.GetInt("number_of_clusters"),
            _ => rowFeatures,
        };
        return operations * SecondsPerOperation.GetValueOrDefault(settings.Trainer.Name, 1e-8);
    }

    private static double Rounds(int rounds) => Math.Max(1, rounds);

    private static double Converged(int maximumPasses) => Math.Clamp(maximumPasses, 1, ConvergedPasses);

    /// <summary>Leaves a tree can really grow: at most as asked, and at most one per <c>minimum_example_count_per_leaf</c> rows.</summary>
    private static double Leaves(TrainerSettings settings, long rows, string leavesParameter) =>
        Math.Max(2, Math.Min(settings.GetInt(leavesParameter), rows / Math.Max(1, settings.GetInt("minimum_example_count_per_leaf"))));
}
