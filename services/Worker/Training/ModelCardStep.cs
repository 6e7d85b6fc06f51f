using Platform.Contracts;
using Platform.Training;
using Platform.Training.ModelCards;
using Platform.Worker.ModelStore;

namespace Platform.Worker.Training;

/// <summary>
/// Writes the model card of a finished run (docs/model-cards.md) next to its other artifacts, with the data set's
/// stored profile (<see cref="DatasetProfileReader"/>). A card that cannot be drawn never costs the user the model:
/// the failure is logged and the version is registered without a card (the store then serves one from its record).
/// </summary>
public sealed class ModelCardStep(DatasetProfileReader profiles, ILogger<ModelCardStep> logger)
{
    /// <returns>The card as the artifact to register (kind <see cref="ModelCardBundle.ArtifactKind"/>), or none.</returns>
    public async Task<IReadOnlyList<(string Kind, TrainingArtifact File)>> WriteAsync(
        TrainModel job, DatasetDownloader.DownloadedDataset data, TrainingSpec spec, TrainingResult result, string folder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            var profile = await profiles.ReadAsync(job.TenantId, data.Dataset, spec.LabelColumn, cancellationToken);
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
                DataProfile = profile,
            };
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, ModelCardBundle.FileName);
            return [(ModelCardBundle.ArtifactKind, await Task.Run(() => ModelCardWriter.Write(subject, path), cancellationToken))];
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Job {JobId} attempt {Attempt}: no model card ({Reason}); registering the model without one",
                job.JobId, job.Attempt, exception.Message);
            return [];
        }
    }
}
