using Platform.Training;

namespace Platform.Worker.Training;

/// <summary>
/// The stages a worker reports in <c>TrainingJobProgressed.Stage</c>, in order:
/// downloading, loading, training, evaluating, saving, uploading.
/// </summary>
public static class JobStages
{
    public const string Downloading = "downloading";
    public const string Loading = "loading";
    public const string Training = "training";
    public const string Evaluating = "evaluating";
    public const string Saving = "saving";
    public const string Uploading = "uploading";

    public static string Of(TrainingStage stage) => stage switch
    {
        TrainingStage.Loading => Loading,
        TrainingStage.Training => Training,
        TrainingStage.Evaluating => Evaluating,
        _ => Saving,
    };
}

/// <summary>The steps of an attempt whose durations the worker logs (with the training run's own, <see cref="TrainingSteps"/>).</summary>
public static class AttemptSteps
{
    public const string Download = "download";
    public const string Train = "training_run";
    public const string ModelCard = "model_card";
    public const string OnnxExport = "onnx_export";
    public const string ConfirmCommit = "confirm_commit";
    public const string Register = "register";
    /// <summary>A fold run as a job of its own: staging its scored rows; the job that reports the folds: reading them.</summary>
    public const string FoldRows = "fold_rows";
}
