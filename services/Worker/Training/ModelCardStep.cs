using Platform.Contracts;
using Platform.Training;
using Platform.Training.ModelCards;
using Platform.Worker.ModelStore;

namespace Platform.Worker.Training;

/// <summary>
/// Writes the model card of a finished run (docs/model-cards.md) next to its other artifacts. A card that cannot
/// be drawn never costs the user the model: the failure is logged and the version is registered without a card.
/// </summary>
public sealed class ModelCardStep(ILogger<ModelCardStep> logger)
{
    /// <returns>The card as the artifact to register (kind <see cref="ModelCardBundle.ArtifactKind"/>), or none.</returns>
    public IReadOnlyList<(string Kind, TrainingArtifact File)> Write(
        TrainModel job, DatasetDownloader.DownloadedDataset data, TrainingSpec spec, TrainingResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            var subject = new ModelCardSubject
            {
                ModelName = job.ModelName,
                JobId = job.JobId.ToString(),
                Attempt = job.Attempt,
                DatasetId = job.DatasetId.ToString(),
                DatasetName = data.Dataset.Name,
                DatasetSha256 = data.Dataset.Sha256,
                Data = data.File,
                Spec = spec,
                Result = result,
                // Until the stored profile (GetDatasetProfile) lands: what the store recorded at upload.
                DataProfile = [.. data.Dataset.Columns.Select(c => new DataProfileColumn(
                    c.Name, c.Type.ToString().ToLowerInvariant(), c.MissingCount))],
            };
            Directory.CreateDirectory(folder);
            return [(ModelCardBundle.ArtifactKind, ModelCardWriter.Write(subject, Path.Combine(folder, ModelCardBundle.FileName)))];
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Job {JobId} attempt {Attempt}: no model card ({Reason}); registering the model without one",
                job.JobId, job.Attempt, exception.Message);
            return [];
        }
    }
}
