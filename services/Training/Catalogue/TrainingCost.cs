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
/// it, times seconds per operation measured per trainer on the sample data sets (<c>make bench ARGS="--filter
/// TrainingCost"</c>), plus a cost per fit, per cell read, evaluated and written, and the worker's own steps. A boosted
/// tree reads every row's values once per round and scans every feature's histogram once per leaf; a linear learner reads
/// every row's values once per pass; k-means once per iteration and cluster. A row's values are its numbers, one per
/// categorical column (one-hot) and <see cref="TextValuesPerRow"/> per text column; the features a tree scans are its
/// numbers (up to 255 bins each), <see cref="CategoricalWidth"/> per categorical column and a vocabulary per text column
/// (two bins each). Coarse by design: what is not known at submission is assumed (<see cref="AssumedClasses"/> classes,
/// the widths above, convergence after <see cref="ConvergedPasses"/> passes where a learner stops early), so the estimate
/// tells a minute from an hour, not 40 s from 50 s.
/// </summary>
public static class TrainingCost
{
    /// <summary>Classes a multiclass label is assumed to have (the count is only known once the data is read).</summary>
    public const int AssumedClasses = 3;

    /// <summary>Features one categorical column is assumed to become (one-hot over its distinct values).</summary>
    public const int CategoricalWidth = 8;

    /// <summary>Values a text column is assumed to give each row (words, bigrams, character trigrams present).</summary>
    public const int TextValuesPerRow = 1000;

    /// <summary>Passes after which the learners that stop on a tolerance (SDCA, L-BFGS, k-means) are assumed to have converged.</summary>
    public const int ConvergedPasses = 30;

    /// <summary>Most bins of a numeric feature's histogram in LightGBM and FastTree (their default).</summary>
    private const int HistogramBins = 255;

    /// <summary>The worker's steps around the training run: download, model card, ONNX export, registration (seconds).</summary>
    private const double WorkerSeconds = 1.5;

    /// <summary>Reading, preparing, scoring and writing one cell (row × column), seconds.</summary>
    private const double SecondsPerCell = 2e-7;

    /// <summary>What one fit costs whatever its size: building the pipeline, the trainer's set-up, saving the model (seconds).</summary>
    private const double SecondsPerFit = 0.1;

    /// <summary>What one split of a boosted tree costs beyond its histograms (bookkeeping, the threads meeting), seconds.</summary>
    private const double SecondsPerSplit = 5e-5;

    /// <summary>Featurising one text cell (words, bigrams, character trigrams) on each pass over it, seconds.</summary>
    private const double SecondsPerTextCell = 5e-4;

    /// <summary>Seconds per counted operation, per trainer (measured; see the class summary).</summary>
    private static readonly Dictionary<string, double> SecondsPerOperation = new(StringComparer.Ordinal)
    {
        ["lightgbm"] = 4.5e-9,
        ["fast_tree"] = 6e-9,
        ["fast_forest"] = 7.5e-9,
        ["gam"] = 8e-9,
        ["sdca_logistic"] = 1.4e-8,
        ["sdca_maximum_entropy"] = 2e-9,
        ["sdca_regression"] = 4.4e-9,
        ["lbfgs_logistic"] = 2e-8,
        ["lbfgs_maximum_entropy"] = 2e-9,
        ["lbfgs_poisson"] = 1e-8,
        ["averaged_perceptron"] = 3e-9,
        ["linear_svm"] = 1e-9,
        ["online_gradient_descent"] = 6e-9,
        ["kmeans"] = 1e-8,
    };

    /// <summary>Estimates an attempt of <paramref name="settings"/> on data of <paramref name="shape"/>, evaluated as <paramref name="evaluation"/> says.</summary>
    public static TrainingCostEstimate Estimate(TrainerSettings settings, DataShape shape, EvaluationSpec evaluation, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (BenchmarkTrainers.IsBenchmarkTrainer(settings.Trainer.Name))
        {
            // It reads nothing and fits nothing: its wait is all it costs.
            var wait = BenchmarkTrainers.Trial(settings.Hyperparameters).Wait.TotalSeconds;
            return new TrainingCostEstimate(wait, wait, wait, 1);
        }
        var rows = Math.Max(1, shape.Rows);
        var columns = shape.NumericColumns + shape.CategoricalColumns + shape.TextColumns + 1;

        double fitSeconds;
        int fits;
        long evaluated;
        if (evaluation.CrossValidates)
        {
            // One fit per fold on the others' rows, then the model saved, fitted on every row.
            fits = evaluation.Folds + 1;
            fitSeconds = evaluation.Folds * Fit(settings, shape, rows * (evaluation.Folds - 1) / evaluation.Folds) + Fit(settings, shape, rows);
            evaluated = rows;
        }
        else
        {
            fits = 1;
            var holdout = (long)Math.Round(rows * holdoutFraction);
            fitSeconds = Fit(settings, shape, rows - holdout);
            evaluated = holdout;
        }
        // Read and prepared once per fit, every evaluated row scored, and the predictions written.
        var passes = (double)rows * (fits + 1) + evaluated;
        if (evaluation.FeatureImportance) passes += (double)evaluated * columns * evaluation.PermutationCount;
        var run = passes * (columns * SecondsPerCell + shape.TextColumns * SecondsPerTextCell) + fitSeconds;
        return new TrainingCostEstimate(WorkerSeconds + run, run, fitSeconds, fits);
    }

    /// <summary>Seconds of one fit on <paramref name="rows"/> rows of data of <paramref name="shape"/>.</summary>
    private static double Fit(TrainerSettings settings, DataShape shape, long rows)
    {
        rows = Math.Max(1, rows);
        var classes = settings.Task == TrainingTask.MulticlassClassification ? AssumedClasses : 1;
        var vocabulary = Math.Min(50.0 * rows, 100_000);
        // What one pass reads: every row's values (a sparse learner reads a text column's words, a dense one its vocabulary).
        var values = (double)rows * (shape.NumericColumns + shape.CategoricalColumns + (double)TextValuesPerRow * shape.TextColumns);
        var denseValues = (double)rows * (shape.NumericColumns + CategoricalWidth * shape.CategoricalColumns + vocabulary * shape.TextColumns);
        // What a tree scans per split: every feature's histogram (numbers: up to 255 bins; one-hot and text features: two).
        var histograms = shape.NumericColumns * (double)Math.Min(HistogramBins, rows) + 2 * (CategoricalWidth * shape.CategoricalColumns + vocabulary * shape.TextColumns);
        double operations, splits = 0;
        switch (settings.Trainer.Name)
        {
            case "lightgbm":
                // Taken to grow to their limit: an easy data set's trees stop early and are overestimated, but the case
                // the estimate is for (10,000 rounds of 1-row leaves on 275 rows: 466 s) comes out right.
                var trees = Rounds(settings.GetInt("number_of_iterations")) * classes;
                splits = trees * Leaves(settings, rows, "number_of_leaves");
                operations = trees * values + splits * histograms;
                break;
            case "fast_tree":
                trees = Rounds(settings.GetInt("number_of_trees")) * classes;
                splits = trees * Leaves(settings, rows, "number_of_leaves");
                operations = trees * denseValues + splits * histograms;
                break;
            case "fast_forest":
                trees = Rounds(settings.GetInt("number_of_trees"));
                splits = trees * Leaves(settings, rows, "number_of_leaves");
                operations = trees * denseValues * settings.GetDouble("bagging_example_fraction") + splits * histograms * settings.GetDouble("feature_fraction");
                break;
            case "gam":
                // One-feature trees over every feature each round; a feature's bins are at most its distinct values.
                operations = Rounds(settings.GetInt("number_of_iterations"))
                             * (values + histograms * Math.Min(settings.GetInt("maximum_bin_count_per_feature"), rows) / HistogramBins);
                break;
            case "sdca_logistic" or "sdca_maximum_entropy" or "sdca_regression" or "lbfgs_logistic" or "lbfgs_maximum_entropy" or "lbfgs_poisson":
                operations = Converged(settings.GetInt("maximum_number_of_iterations")) * values * classes;
                break;
            case "averaged_perceptron" or "linear_svm" or "online_gradient_descent":
                operations = Rounds(settings.GetInt("number_of_iterations")) * values * classes;
                break;
            case "kmeans":
                operations = Converged(settings.GetInt("maximum_number_of_iterations")) * values * settings.GetInt("number_of_clusters");
                break;
            default:
                operations = values;
                break;
        }
        return SecondsPerFit + operations * SecondsPerOperation.GetValueOrDefault(settings.Trainer.Name, 1e-8) + splits * SecondsPerSplit;
    }

    private static double Rounds(int rounds) => Math.Max(1, rounds);

    private static double Converged(int maximumPasses) => Math.Clamp(maximumPasses, 1, ConvergedPasses);

    /// <summary>Leaves a tree can really grow: at most as asked, and at most one per <c>minimum_example_count_per_leaf</c> rows.</summary>
    private static double Leaves(TrainerSettings settings, long rows, string leavesParameter) =>
        Math.Max(2, Math.Min(settings.GetInt(leavesParameter), rows / Math.Max(1, settings.GetInt("minimum_example_count_per_leaf"))));
}
