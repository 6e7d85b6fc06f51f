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
