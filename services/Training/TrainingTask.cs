using Platform.Contracts;

namespace Platform.Training;

/// <summary>What a training job learns.</summary>
public enum TrainingTask
{
    /// <summary>Two classes; wire name <c>binary_classification</c>.</summary>
    BinaryClassification,
    /// <summary>Two or more classes; wire name <c>multiclass_classification</c>.</summary>
    MulticlassClassification,
    /// <summary>A number; wire name <c>regression</c>.</summary>
    Regression,
    /// <summary>Groups of similar rows, without a label (k-means); wire name <c>clustering</c>.</summary>
    Clustering,
}

/// <summary>
/// The wire names of <see cref="TrainingTask"/>: the strings used in bus messages, the public JSON
/// submission and registered model versions.
/// </summary>
public static class TrainingTasks
{
    public const string BinaryClassification = "binary_classification";
    public const string MulticlassClassification = "multiclass_classification";
    public const string Regression = "regression";
    public const string Clustering = "clustering";

    /// <summary>Every task, in declaration order.</summary>
    public static IReadOnlyList<TrainingTask> All { get; } =
        [TrainingTask.BinaryClassification, TrainingTask.MulticlassClassification, TrainingTask.Regression, TrainingTask.Clustering];

    /// <summary>The wire name of <paramref name="task"/>, for example <c>regression</c>.</summary>
    public static string ToWireName(this TrainingTask task) => task switch
    {
        TrainingTask.BinaryClassification => BinaryClassification,
        TrainingTask.MulticlassClassification => MulticlassClassification,
        TrainingTask.Regression => Regression,
        TrainingTask.Clustering => Clustering,
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown training task."),
    };

    /// <summary>Parses a wire name; false for anything else (names are case-sensitive, as on the wire).</summary>
    public static bool TryParse(string? wireName, out TrainingTask task)
    {
        switch (wireName)
        {
            case BinaryClassification: task = TrainingTask.BinaryClassification; return true;
            case MulticlassClassification: task = TrainingTask.MulticlassClassification; return true;
            case Regression: task = TrainingTask.Regression; return true;
            case Clustering: task = TrainingTask.Clustering; return true;
            default: task = default; return false;
        }
    }

    /// <summary>Parses a wire name or throws a <see cref="SpecValidationException"/> for the field <c>task</c>.</summary>
    public static TrainingTask Parse(string? wireName) => TryParse(wireName, out var task)
        ? task
        : throw new SpecValidationException("task",
            $"{Echo.Quote(wireName)} is not a training task; expected one of {string.Join(", ", All.Select(t => t.ToWireName()))}");

    /// <summary>Whether the task predicts classes (binary or multiclass classification).</summary>
    public static bool IsClassification(this TrainingTask task) =>
        task is TrainingTask.BinaryClassification or TrainingTask.MulticlassClassification;

    /// <summary>Whether the task needs a label column (every task but clustering, where a label is optional).</summary>
    public static bool RequiresLabel(this TrainingTask task) => task != TrainingTask.Clustering;
}
