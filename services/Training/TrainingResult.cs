using Platform.Training.Catalogue;

namespace Platform.Training;

/// <summary>Where a run is: <see cref="Fraction"/> (0..1) of <see cref="Stage"/> is done.</summary>
public readonly record struct TrainingProgress(TrainingStage Stage, double Fraction, string Message);

/// <summary>The stages of a training run, in order.</summary>
public enum TrainingStage
{
    /// <summary>Reading the CSV, profiling the label, dropping unlabelled rows, splitting.</summary>
    Loading,
    /// <summary>Fitting the pipeline on the training rows.</summary>
    Training,
    /// <summary>Scoring the holdout rows: metrics and the predictions CSV.</summary>
    Evaluating,
    /// <summary>Writing the model zip.</summary>
    Saving,
}

/// <summary>A file a run wrote, with its SHA-256 (lower-case hex) and size, computed while writing it.</summary>
public sealed record TrainingArtifact(string Path, string Sha256, long SizeBytes);

/// <summary>How the data set's rows were used.</summary>
/// <param name="Total">Rows in the file.</param>
/// <param name="MissingLabel">Rows dropped because their label was missing.</param>
/// <param name="Training">Rows the model was fitted on.</param>
/// <param name="Holdout">Rows it was evaluated on (the rows of the predictions CSV).</param>
public sealed record TrainingRowCounts(long Total, long MissingLabel, long Training, long Holdout);

/// <summary>Time spent per stage.</summary>
public sealed record TrainingTimings(TimeSpan Loading, TimeSpan Training, TimeSpan Evaluating, TimeSpan Saving)
{
    public TimeSpan Total => Loading + Training + Evaluating + Saving;
}

/// <summary>What a finished run produced.</summary>
public sealed record TrainingResult
{
    /// <summary>The trainer and every hyperparameter as used (defaults filled in): what to record with the model.</summary>
    public required TrainerSettings Settings { get; init; }

    /// <summary>Holdout metrics by name (see <see cref="MetricNames"/>).</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>Classification: the classes in the model's key order; binary: [negative, positive]. Empty for regression.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    public required TrainingRowCounts Rows { get; init; }

    public required TrainingTimings Timings { get; init; }

    /// <summary>The ML.NET model zip, saved with its data loader.</summary>
    public required TrainingArtifact Model { get; init; }

    /// <summary>The holdout rows with their predictions (format: see <see cref="TrainingRun"/>).</summary>
    public required TrainingArtifact Predictions { get; init; }
}
