using System.Globalization;

namespace Platform.Training.Catalogue;

/// <summary>
/// A validated choice of trainer for a task, with every declared hyperparameter resolved: the
/// values given in the spec (in canonical text form) and the defaults for the others.
/// This is what a model version records as its hyperparameters.
/// </summary>
public sealed class TrainerSettings
{
    private readonly Dictionary<string, HyperparameterDefinition> _definitions;

    internal TrainerSettings(TrainingTask task, TrainerDefinition trainer, IReadOnlyDictionary<string, string> hyperparameters)
    {
        Task = task;
        Trainer = trainer;
        Hyperparameters = hyperparameters;
        _definitions = trainer.Hyperparameters.ToDictionary(definition => definition.Name, StringComparer.Ordinal);
    }

    public TrainingTask Task { get; }

    public TrainerDefinition Trainer { get; }

    /// <summary>Every declared hyperparameter by name, as canonical invariant text (defaults included).</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; }

    internal int GetInt(string name) => int.Parse(Value(name, HyperparameterType.Int), CultureInfo.InvariantCulture);

    internal double GetDouble(string name) => double.Parse(Value(name, HyperparameterType.Double), CultureInfo.InvariantCulture);

    internal bool GetBool(string name) => bool.Parse(Value(name, HyperparameterType.Bool));

    private string Value(string name, HyperparameterType type)
    {
        // A mismatch here is a bug in the catalogue itself, not bad input.
        if (!_definitions.TryGetValue(name, out var definition) || definition.Type != type)
            throw new InvalidOperationException($"Trainer '{Trainer.Name}' declares no {type} hyperparameter '{name}'.");
        return Hyperparameters[name];
    }
}
