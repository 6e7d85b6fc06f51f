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
    /// <summary>
    /// Starts reading the data set's stored profile for the card (<see cref="DatasetProfileReader"/>: it falls back to the
    /// data set's record rather than fail). Start it when the data set is known: the read then overlaps the training,
    /// not the card.
    /// </summary>
    public Task<DataProfile> ReadProfileAsync(TrainModel job, DatasetDownloader.DownloadedDataset data, TrainingSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        return profiles.ReadAsync(job.TenantId, data.Dataset, spec.LabelColumn, cancellationToken);
    }

    /// <param name="profile">The read started by <see cref="ReadProfileAsync"/>.</param>
    /// <returns>The card as the artifact to register (kind <see cref="ModelCardBundle.ArtifactKind"/>), or none.</returns>
    public async Task<IReadOnlyList<(string Kind, TrainingArtifact File)>> WriteAsync(
        TrainModel job, DatasetDownloader.DownloadedDataset data, TrainingSpec spec, TrainingResult result, Task<DataProfile> profile, string folder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(profile);
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
                DataProfile = await profile,
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
