using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using static Platform.Training.Catalogue.HyperparameterDefinition;
using Platform.Contracts;

namespace Platform.Training.Catalogue;

/// <summary>
/// The one catalogue of trainers the platform offers: what the scheduler validates job specs against,
/// what <c>ListTrainers</c> shows and what the worker builds pipelines from.
/// </summary>
/// <remarks>
/// Every trainer is deterministic for a given seed, data and settings, on any machine: seeds come
/// from the job, LightGBM runs in its deterministic mode, and the trainers whose results depend on
/// thread scheduling (SDCA, L-BFGS, FastTree, GAM, k-means) run on one thread.
/// A binary learner that serves multiclass classification does so one-versus-all under the same name
/// and hyperparameters (<c>fast_tree</c>, <c>averaged_perceptron</c>, <c>linear_svm</c>): one name per
/// learner keeps the catalogue flat and each trainer's hyperparameters declared once.
/// <c>ExampleWeights: true</c> marks the classification bindings whose trainer reads ML.NET's example-weight column,
/// through which class weighting (<c>preparation.class_weighting</c>) reaches it. Not marked, because a test shows
/// their models unchanged by weights: one-versus-all (ML.NET trains each class's model without the weight column),
/// <c>fast_forest</c> and <c>linear_svm</c>.
/// </remarks>
public static class TrainerCatalogue
{
    private static readonly HyperparameterDefinition[] TreeShape =
    [
        Int("number_of_leaves", 20, 2, 4096, "Maximum number of leaves per tree."),
        Int("minimum_example_count_per_leaf", 10, 1, 100_000, "Minimum number of training rows in a leaf."),
    ];

    private static readonly HyperparameterDefinition[] SdcaParameters =
    [
        Double("l2_regularization", 0.0001, 0.000001, 1000, "L2 regularization weight."),
        Double("l1_regularization", 0, 0, 1000, "L1 regularization threshold."),
        Int("maximum_number_of_iterations", 100, 1, 10_000, "Maximum passes over the training data."),
        Double("convergence_tolerance", 0.1, 0.000001, 1, "Stop when the relative duality gap falls below this."),
    ];

    private static readonly HyperparameterDefinition[] LbfgsParameters =
    [
        Double("l2_regularization", 1, 0, 1000, "L2 regularization weight."),
        Double("l1_regularization", 1, 0, 1000, "L1 regularization weight."),
        Double("optimization_tolerance", 0.0000001, 0.0000000001, 1, "Stop when the relative improvement falls below this."),
        Int("history_size", 20, 1, 1000, "Number of past updates kept to approximate the Hessian."),
        Int("maximum_number_of_iterations", 1000, 1, 100_000, "Maximum number of optimizer iterations."),
        Bool("enforce_non_negativity", false, "Constrain every weight to be non-negative."),
    ];

    private static readonly HyperparameterDefinition[] OnlineParameters =
    [
        Double("l2_regularization", 0, 0, 1000, "L2 regularization weight."),
        Int("number_of_iterations", 10, 1, 10_000, "Passes over the training data."),
    ];

    /// <summary>Every trainer of the product, in a stable order (the <see cref="BenchmarkTrainers"/> are not among them).</summary>
    public static IReadOnlyList<TrainerDefinition> All { get; } =
    [
        new("lightgbm", "LightGBM gradient-boosted decision trees.",
            [
                Int("number_of_iterations", 100, 1, 10_000, "Number of boosting rounds."),
                Double("learning_rate", 0.1, 0.0001, 1, "Shrinkage applied to each tree."),
                Int("number_of_leaves", 31, 2, 4096, "Maximum number of leaves per tree."),
                Int("minimum_example_count_per_leaf", 20, 1, 100_000, "Minimum number of training rows in a leaf."),
                Double("l2_regularization", 0.01, 0, 1000, "L2 regularization of leaf values."),
                Double("l1_regularization", 0, 0, 1000, "L1 regularization of leaf values."),
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: false, Calibrated: true,
                    c => c.ML.BinaryClassification.Trainers.LightGbm(Configured(new LightGbmBinaryTrainer.Options(), o => LightGbm(c, o))),
                    ExampleWeights: true),
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.MulticlassClassification.Trainers.LightGbm(Configured(new LightGbmMulticlassTrainer.Options(), o => LightGbm(c, o))),
                    ExampleWeights: true),
                new(TrainingTask.Regression, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.Regression.Trainers.LightGbm(Configured(new LightGbmRegressionTrainer.Options(), o => LightGbm(c, o)))),
            ]),
        new("fast_tree", "FastTree gradient-boosted decision trees (MART); one-versus-all for multiclass.",
            [
                Int("number_of_trees", 100, 1, 10_000, "Number of trees."),
                .. TreeShape,
                Double("learning_rate", 0.2, 0.0001, 1, "Shrinkage applied to each tree."),
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: false, Calibrated: true,
                    c => c.ML.BinaryClassification.Trainers.FastTree(FastTree(c, new FastTreeBinaryTrainer.Options())), ExampleWeights: true),
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: false, Calibrated: false,
                    c => OneVersusAll(c, c.ML.BinaryClassification.Trainers.FastTree(FastTree(c, new FastTreeBinaryTrainer.Options()))),
                    MultiplePasses: true),
                new(TrainingTask.Regression, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.Regression.Trainers.FastTree(FastTree(c, new FastTreeRegressionTrainer.Options()))),
            ]),
        new("fast_forest", "Random forest of FastTree decision trees (bagged, not calibrated).",
            [
                Int("number_of_trees", 100, 1, 10_000, "Number of trees."),
                .. TreeShape,
                Double("feature_fraction", 0.7, 0.01, 1, "Share of features each tree may use."),
                Double("bagging_example_fraction", 0.7, 0.01, 1, "Share of rows sampled for each tree."),
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.BinaryClassification.Trainers.FastForest(FastForest(c, new FastForestBinaryTrainer.Options()))),
                new(TrainingTask.Regression, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.Regression.Trainers.FastForest(FastForest(c, new FastForestRegressionTrainer.Options()))),
            ]),
        new("gam", "Generalized additive model: boosted one-feature trees, each feature's effect readable on its own.",
            [
                Int("number_of_iterations", 9500, 1, 100_000, "Number of boosting rounds."),
                Double("learning_rate", 0.002, 0.00001, 1, "Shrinkage applied to each round."),
                Int("maximum_bin_count_per_feature", 255, 2, 65_536, "Maximum number of bins a feature's values are grouped into."),
                Int("minimum_example_count_per_leaf", 10, 1, 100_000, "Minimum number of training rows in a leaf."),
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: false, Calibrated: true,
                    c => c.ML.BinaryClassification.Trainers.Gam(Configured(new GamBinaryTrainer.Options(), o => Gam(c, o))), ExampleWeights: true),
                new(TrainingTask.Regression, NormalizeFeatures: false, Calibrated: false,
                    c => c.ML.Regression.Trainers.Gam(Configured(new GamRegressionTrainer.Options(), o => Gam(c, o)))),
            ]),
        new("sdca_logistic", "Logistic regression trained with stochastic dual coordinate ascent.", SdcaParameters,
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: true, Calibrated: true,
                    c => c.ML.BinaryClassification.Trainers.SdcaLogisticRegression(
                        Configured(new SdcaLogisticRegressionBinaryTrainer.Options(), o => Sdca(c, o))), MultiplePasses: true, ExampleWeights: true),
            ]),
        new("lbfgs_logistic", "Logistic regression trained with L-BFGS.", LbfgsParameters,
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: true, Calibrated: true,
                    c => c.ML.BinaryClassification.Trainers.LbfgsLogisticRegression(
                        Configured(new LbfgsLogisticRegressionBinaryTrainer.Options(), o => Lbfgs(c, o))), MultiplePasses: true, ExampleWeights: true),
            ]),
        new("averaged_perceptron", "Averaged perceptron (linear, hinge loss, not calibrated); one-versus-all for multiclass.",
            [
                Double("learning_rate", 1, 0.0001, 100, "Step size of each update."),
                Bool("decrease_learning_rate", false, "Shrink the step size as training goes on."),
                .. OnlineParameters,
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.BinaryClassification.Trainers.AveragedPerceptron(AveragedPerceptron(c)), MultiplePasses: true),
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: true, Calibrated: false,
                    c => OneVersusAll(c, c.ML.BinaryClassification.Trainers.AveragedPerceptron(AveragedPerceptron(c))), MultiplePasses: true),
            ]),
        new("linear_svm", "Linear support vector machine (Pegasos, not calibrated); one-versus-all for multiclass.",
            [
                Double("lambda", 0.001, 0.0000001, 1000, "Regularization weight."),
                Int("number_of_iterations", 1, 1, 10_000, "Passes over the training data."),
                Int("batch_size", 1, 1, 100_000, "Rows per update."),
                Bool("perform_projection", false, "Project the weights onto the unit ball after each update."),
            ],
            [
                new(TrainingTask.BinaryClassification, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.BinaryClassification.Trainers.LinearSvm(LinearSvm(c)), MultiplePasses: true),
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: true, Calibrated: false,
                    c => OneVersusAll(c, c.ML.BinaryClassification.Trainers.LinearSvm(LinearSvm(c))), MultiplePasses: true),
            ]),
        new("sdca_maximum_entropy", "Multinomial logistic regression trained with stochastic dual coordinate ascent.", SdcaParameters,
            [
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.MulticlassClassification.Trainers.SdcaMaximumEntropy(
                        Configured(new SdcaMaximumEntropyMulticlassTrainer.Options(), o => Sdca(c, o))), MultiplePasses: true, ExampleWeights: true),
            ]),
        new("lbfgs_maximum_entropy", "Multinomial logistic regression trained with L-BFGS.", LbfgsParameters,
            [
                new(TrainingTask.MulticlassClassification, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.MulticlassClassification.Trainers.LbfgsMaximumEntropy(
                        Configured(new LbfgsMaximumEntropyMulticlassTrainer.Options(), o => Lbfgs(c, o))), MultiplePasses: true, ExampleWeights: true),
            ]),
        new("sdca_regression", "Linear regression trained with stochastic dual coordinate ascent.", SdcaParameters,
            [
                new(TrainingTask.Regression, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.Regression.Trainers.Sdca(Configured(new SdcaRegressionTrainer.Options(), o => Sdca(c, o))), MultiplePasses: true),
            ]),
        new("online_gradient_descent", "Linear regression trained with online gradient descent (squared loss).",
            [
                Double("learning_rate", 0.1, 0.00001, 100, "Step size of each update."),
                Bool("decrease_learning_rate", true, "Shrink the step size as training goes on."),
                Double("l2_regularization", 0, 0, 1000, "L2 regularization weight."),
                Int("number_of_iterations", 1, 1, 10_000, "Passes over the training data."),
            ],
            [
                new(TrainingTask.Regression, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.Regression.Trainers.OnlineGradientDescent(OnlineGradientDescent(c)), MultiplePasses: true),
            ]),
        new("lbfgs_poisson", "Poisson regression (log link) trained with L-BFGS, for counts and other non-negative labels.", LbfgsParameters,
            [
                new(TrainingTask.Regression, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.Regression.Trainers.LbfgsPoissonRegression(
                        Configured(new LbfgsPoissonRegressionTrainer.Options(), o => Lbfgs(c, o))), MultiplePasses: true),
            ]),
        new("kmeans", "k-means clustering (Yinyang-accelerated, k-means|| initialization).",
            [
                Int("number_of_clusters", 5, 2, 1000, "Number of clusters (k)."),
                Int("maximum_number_of_iterations", 1000, 1, 100_000, "Maximum number of iterations."),
                Double("optimization_tolerance", 0.0000001, 0.000000000001, 1, "Stop when the relative improvement falls below this."),
            ],
            [
                new(TrainingTask.Clustering, NormalizeFeatures: true, Calibrated: false,
                    c => c.ML.Clustering.Trainers.KMeans(new KMeansTrainer.Options
                    {
                        FeatureColumnName = c.FeatureColumn,
                        NumberOfClusters = c.Int("number_of_clusters"),
                        MaximumNumberOfIterations = c.Int("maximum_number_of_iterations"),
                        OptimizationTolerance = (float)c.Double("optimization_tolerance"),
                        // Parallel updates of the centres sum in scheduling order; one thread keeps them reproducible.
                        NumberOfThreads = 1,
                    }), MultiplePasses: true),
            ]),
    ];

    private static readonly Dictionary<string, TrainerDefinition> ByName =
        All.ToDictionary(trainer => trainer.Name, StringComparer.Ordinal);

    private static volatile bool _benchmarkTrainers;

    /// <summary>
    /// From now on this process also offers the <see cref="BenchmarkTrainers"/> (<see cref="Find"/>, <see cref="List"/>
    /// and <see cref="Validate(TrainingTask, string?, IReadOnlyDictionary{string, string}?)"/> know them). The scheduler's
    /// host calls it when <c>Scheduler:BenchmarkTrainers</c> is true, at start; nothing turns it off again. Process-wide
    /// because the catalogue is: every validation in the process must agree on what a trainer is.
    /// </summary>
    public static void OfferBenchmarkTrainers() => _benchmarkTrainers = true;

    /// <summary>Whether this process offers the <see cref="BenchmarkTrainers"/> (<see cref="OfferBenchmarkTrainers"/>).</summary>
    public static bool OffersBenchmarkTrainers => _benchmarkTrainers;

    /// <summary>The trainers serving <paramref name="task"/>, or every trainer when null.</summary>
    public static IReadOnlyList<TrainerDefinition> List(TrainingTask? task = null)
    {
        var offered = _benchmarkTrainers ? [.. All, .. BenchmarkTrainers.All] : All;
        return task is { } only ? [.. offered.Where(trainer => trainer.Supports(only))] : offered;
    }

    /// <summary>The trainer named <paramref name="name"/>, or null.</summary>
    public static TrainerDefinition? Find(string? name)
    {
        if (name is null) return null;
        if (ByName.TryGetValue(name, out var trainer)) return trainer;
        return _benchmarkTrainers ? BenchmarkTrainers.All.FirstOrDefault(t => t.Name == name) : null;
    }

    /// <summary>
    /// Checks a trainer choice and its hyperparameters (values as invariant text) for a task and
    /// resolves every declared hyperparameter, defaults included.
    /// </summary>
    /// <exception cref="SpecValidationException">
    /// Field <c>trainer</c> for an unknown trainer or one that does not serve the task (a benchmark trainer where this
    /// process does not offer them, saying so); <c>hyperparameters.NAME</c> for an unknown name, a value of the wrong
    /// type or out of range.
    /// </exception>
    public static TrainerSettings Validate(TrainingTask task, string? trainer, IReadOnlyDictionary<string, string>? hyperparameters)
    {
        var definition = Find(trainer) ?? throw new SpecValidationException("trainer", BenchmarkTrainers.IsBenchmarkTrainer(trainer)
            ? $"{Echo.Quote(trainer)} is a benchmark trainer (it does no ML work), offered only by a platform started with " +
              $"Scheduler:BenchmarkTrainers=true, never in production; for {task.ToWireName()} use one of {string.Join(", ", List(task).Select(t => t.Name))}"
            : $"{Echo.Quote(trainer)} is not a trainer; for {task.ToWireName()} use one of {string.Join(", ", List(task).Select(t => t.Name))}");
        if (!definition.Supports(task))
            throw new SpecValidationException("trainer",
                $"{Echo.Quote(trainer)} does not train {task.ToWireName()}; use one of {string.Join(", ", List(task).Select(t => t.Name))}");
        return Resolve(definition, task, hyperparameters);
    }

    /// <summary>Checks <paramref name="hyperparameters"/> against <paramref name="definition"/>'s and resolves every one, defaults included.</summary>
    internal static TrainerSettings Resolve(TrainerDefinition definition, TrainingTask task, IReadOnlyDictionary<string, string>? hyperparameters)
    {
        var given = hyperparameters ?? new Dictionary<string, string>();
        var declared = definition.Hyperparameters.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        // Report unknown names in a stable (sorted) order so the same spec always gives the same message.
        var unknown = given.Keys.Where(name => !declared.Contains(name)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (unknown is not null)
            throw new SpecValidationException($"hyperparameters.{unknown}",
                $"{Echo.Quote(definition.Name)} has no hyperparameter {Echo.Quote(unknown)}; it accepts {string.Join(", ", definition.Hyperparameters.Select(h => h.Name))}");

        var resolved = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in definition.Hyperparameters)
            resolved[parameter.Name] = given.TryGetValue(parameter.Name, out var text) ? parameter.Normalize(text) : parameter.DefaultValue;
        return new TrainerSettings(task, definition, resolved);
    }

    /// <summary>Validates a task given by its wire name, then the trainer and hyperparameters.</summary>
    public static TrainerSettings Validate(string? task, string? trainer, IReadOnlyDictionary<string, string>? hyperparameters) =>
        Validate(TrainingTasks.Parse(task), trainer, hyperparameters);

    /// <summary>
    /// One binary model per class, each scoring "this class or not"; ML.NET calibrates them (Platt) so
    /// their scores compare, which also gives a log-loss.
    /// </summary>
    private static OneVersusAllTrainer OneVersusAll<TModel>(TrainerBuildContext c, ITrainerEstimator<BinaryPredictionTransformer<TModel>, TModel> binary)
        where TModel : class =>
        c.ML.MulticlassClassification.Trainers.OneVersusAll(binary, labelColumnName: c.LabelColumn);

    private static TOptions Configured<TOptions>(TOptions options, Action<TOptions> configure)
    {
        configure(options);
        return options;
    }

    private static void LightGbm<TOptions, TOutput, TTransformer, TModel>(
        TrainerBuildContext c, LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase options)
        where TOptions : LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.LabelColumnName = c.LabelColumn;
        options.FeatureColumnName = c.FeatureColumn;
        options.ExampleWeightColumnName = c.WeightColumn;
        options.NumberOfIterations = c.Int("number_of_iterations");
        options.LearningRate = c.Double("learning_rate");
        options.NumberOfLeaves = c.Int("number_of_leaves");
        options.MinimumExampleCountPerLeaf = c.Int("minimum_example_count_per_leaf");
        options.Booster = new GradientBooster.Options
        {
            L2Regularization = c.Double("l2_regularization"),
            L1Regularization = c.Double("l1_regularization"),
        };
        options.Seed = c.Seed;
        // LightGBM's deterministic mode gives the same trees whatever the number of threads
        // (it asks for a fixed histogram layout to go with it), so it may use every core.
        options.Deterministic = true;
        options.ForceColumnWise = true;
        LightGbmThreads.WaitPassively();
    }

    private static TOptions FastTree<TOptions>(TrainerBuildContext c, TOptions options) where TOptions : BoostedTreeOptions
    {
        Trees(c, options);
        options.NumberOfTrees = c.Int("number_of_trees");
        options.LearningRate = c.Double("learning_rate");
        return options;
    }

    private static TOptions FastForest<TOptions>(TrainerBuildContext c, TOptions options) where TOptions : FastForestOptionsBase
    {
        Trees(c, options);
        options.NumberOfTrees = c.Int("number_of_trees");
        options.FeatureFraction = c.Double("feature_fraction");
        options.BaggingExampleFraction = c.Double("bagging_example_fraction");
        return options;
    }

    private static void Trees(TrainerBuildContext c, TreeOptions options)
    {
        options.LabelColumnName = c.LabelColumn;
        options.FeatureColumnName = c.FeatureColumn;
        options.ExampleWeightColumnName = c.WeightColumn;
        options.NumberOfLeaves = c.Int("number_of_leaves");
        options.MinimumExampleCountPerLeaf = c.Int("minimum_example_count_per_leaf");
        options.Seed = c.Seed;
        options.FeatureSelectionSeed = c.Seed;
        // FastTree's parallel histogram code sums in scheduling order; one thread keeps it reproducible.
        options.NumberOfThreads = 1;
    }

    private static void Gam<TOptions, TTransformer, TModel>(
        TrainerBuildContext c, GamTrainerBase<TOptions, TTransformer, TModel>.OptionsBase options)
        where TOptions : GamTrainerBase<TOptions, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.LabelColumnName = c.LabelColumn;
        options.FeatureColumnName = c.FeatureColumn;
        options.ExampleWeightColumnName = c.WeightColumn;
        options.NumberOfIterations = c.Int("number_of_iterations");
        options.LearningRate = c.Double("learning_rate");
        options.MaximumBinCountPerFeature = c.Int("maximum_bin_count_per_feature");
        options.MinimumExampleCountPerLeaf = c.Int("minimum_example_count_per_leaf");
        options.Seed = c.Seed;
        // Like FastTree, GAM's parallel histogram sums depend on scheduling; one thread keeps it reproducible.
        options.NumberOfThreads = 1;
    }

    private static AveragedPerceptronTrainer.Options AveragedPerceptron(TrainerBuildContext c) => new()
    {
        LabelColumnName = c.LabelColumn,
        FeatureColumnName = c.FeatureColumn,
        LearningRate = (float)c.Double("learning_rate"),
        DecreaseLearningRate = c.Bool("decrease_learning_rate"),
        L2Regularization = (float)c.Double("l2_regularization"),
        NumberOfIterations = c.Int("number_of_iterations"),
    };

    private static LinearSvmTrainer.Options LinearSvm(TrainerBuildContext c) => new()
    {
        LabelColumnName = c.LabelColumn,
        FeatureColumnName = c.FeatureColumn,
        ExampleWeightColumnName = c.WeightColumn,
        Lambda = (float)c.Double("lambda"),
        NumberOfIterations = c.Int("number_of_iterations"),
        BatchSize = c.Int("batch_size"),
        PerformProjection = c.Bool("perform_projection"),
    };

    private static OnlineGradientDescentTrainer.Options OnlineGradientDescent(TrainerBuildContext c) => new()
    {
        LabelColumnName = c.LabelColumn,
        FeatureColumnName = c.FeatureColumn,
        LearningRate = (float)c.Double("learning_rate"),
        DecreaseLearningRate = c.Bool("decrease_learning_rate"),
        L2Regularization = (float)c.Double("l2_regularization"),
        NumberOfIterations = c.Int("number_of_iterations"),
    };

    private static void Sdca<TOptions, TTransformer, TModel>(
        TrainerBuildContext c, SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase options)
        where TOptions : SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.LabelColumnName = c.LabelColumn;
        options.FeatureColumnName = c.FeatureColumn;
        options.ExampleWeightColumnName = c.WeightColumn;
        options.L2Regularization = (float)c.Double("l2_regularization");
        options.L1Regularization = (float)c.Double("l1_regularization");
        options.MaximumNumberOfIterations = c.Int("maximum_number_of_iterations");
        options.ConvergenceTolerance = (float)c.Double("convergence_tolerance");
        // SDCA is only reproducible on one thread (its shuffles draw from the seeded MLContext).
        options.NumberOfThreads = 1;
    }

    private static void Lbfgs<TOptions, TTransformer, TModel>(
        TrainerBuildContext c, LbfgsTrainerBase<TOptions, TTransformer, TModel>.OptionsBase options)
        where TOptions : LbfgsTrainerBase<TOptions, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.LabelColumnName = c.LabelColumn;
        options.FeatureColumnName = c.FeatureColumn;
        options.ExampleWeightColumnName = c.WeightColumn;
        options.L2Regularization = (float)c.Double("l2_regularization");
        options.L1Regularization = (float)c.Double("l1_regularization");
        options.OptimizationTolerance = (float)c.Double("optimization_tolerance");
        options.HistorySize = c.Int("history_size");
        options.MaximumNumberOfIterations = c.Int("maximum_number_of_iterations");
        options.EnforceNonNegativity = c.Bool("enforce_non_negativity");
        // Multi-threaded gradient sums are not reproducible bit for bit.
        options.NumberOfThreads = 1;
    }
}
