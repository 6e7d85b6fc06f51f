using Microsoft.ML;

namespace Platform.Training.Catalogue;

/// <summary>
/// One trainer of the catalogue: a name users pick (<c>lightgbm</c>), the tasks it serves and the
/// hyperparameters it accepts. The same name may serve several tasks with one set of hyperparameters.
/// </summary>
public sealed class TrainerDefinition
{
    private readonly Dictionary<TrainingTask, TrainerBinding> _bindings;

    internal TrainerDefinition(
        string name, string description, IReadOnlyList<HyperparameterDefinition> hyperparameters,
        IEnumerable<TrainerBinding> bindings)
    {
        Name = name;
        Description = description;
        Hyperparameters = hyperparameters;
        _bindings = bindings.ToDictionary(binding => binding.Task);
        Tasks = [.. TrainingTasks.All.Where(_bindings.ContainsKey)];
    }

    /// <summary>Snake-case name used in job specs.</summary>
    public string Name { get; }

    /// <summary>One line for humans.</summary>
    public string Description { get; }

    /// <summary>The classification tasks for which this trainer reads an example weight per row, so class weighting applies.</summary>
    public IReadOnlyList<TrainingTask> ExampleWeightTasks => [.. Tasks.Where(task => For(task).ExampleWeights)];

    /// <summary>Whether class weighting applies to this trainer for <paramref name="task"/>.</summary>
    public bool TakesExampleWeights(TrainingTask task) => Supports(task) && For(task).ExampleWeights;

    /// <summary>The tasks this trainer serves.</summary>
    public IReadOnlyList<TrainingTask> Tasks { get; }

    /// <summary>Whether, left to its default, the pipeline scales features for this trainer (min-max) or not (trees).</summary>
    public bool NormalizesByDefault(TrainingTask task) => For(task).NormalizeFeatures;

    /// <summary>Declared hyperparameters, the same for every task.</summary>
    public IReadOnlyList<HyperparameterDefinition> Hyperparameters { get; }

    /// <summary>Whether this trainer serves <paramref name="task"/>.</summary>
    public bool Supports(TrainingTask task) => _bindings.ContainsKey(task);

    internal TrainerBinding For(TrainingTask task) => _bindings[task];
}

/// <summary>How a trainer is built for one task.</summary>
/// <param name="NormalizeFeatures">
/// The default normalization: linear models and k-means want features on one scale (min-max); trees do not care (none).
/// </param>
/// <param name="Calibrated">Binary only: the trainer outputs a calibrated Probability column (and so log-loss).</param>
/// <param name="Create">Builds the ML.NET estimator from validated settings.</param>
/// <param name="MultiplePasses">
/// The trainer reads the training rows many times (iterative optimisers, one model per class): the pipeline
/// caches the prepared features before it, so encodings and text features are computed once.
/// </param>
/// <param name="ExampleWeights">Classification: the trainer reads <see cref="TrainerBuildContext.WeightColumn"/>, so class weighting applies.</param>
internal sealed record TrainerBinding(
    TrainingTask Task, bool NormalizeFeatures, bool Calibrated, Func<TrainerBuildContext, IEstimator<ITransformer>> Create,
    bool MultiplePasses = false, bool ExampleWeights = false);

/// <summary>What a trainer factory needs: the context, validated settings and the column names to use.</summary>
/// <param name="WeightColumn">The example-weight column (class weighting), or null for none.</param>
internal sealed record TrainerBuildContext(
    MLContext ML, TrainerSettings Settings, string LabelColumn, string FeatureColumn, int Seed, string? WeightColumn = null)
{
    public int Int(string name) => Settings.GetInt(name);
    public double Double(string name) => Settings.GetDouble(name);
    public bool Bool(string name) => Settings.GetBool(name);
}
