using Platform.Contracts;
using Platform.Training;
using Platform.Transfers;

namespace Platform.Worker.ModelStore;

/// <summary>
/// Moves a fold's scored rows from the worker that ran the fold to the one that reports the folds (docs/training.md, "Folds
/// in parallel"), through the model store's byte stream: staged there by the fold (<c>POST /v1/uploads</c>), read by the job
/// that reports the folds (<c>GET /v1/uploads/{id}</c>), deleted once it has ended well. Best effort by design: rows that
/// cannot be staged or read (no byte stream configured, a quota, rows swept after the store's grace period) only make the
/// final run fit and score that fold itself, with the same result.
/// </summary>
public sealed class FoldRowsTransfer(ModelStoreByteStream byteStream, ILogger<FoldRowsTransfer> logger)
{
    /// <summary>Stages the fold's scored rows for the tenant; null when they could not be.</summary>
    public async Task<StagedFoldRows?> StageAsync(string tenantId, TrainingArtifact rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (byteStream.For(tenantId) is not { } client)
        {
            logger.LogInformation("No byte stream to the model store ({Key}): the fold's scored rows stay here, and the final job scores the fold again",
                ModelStoreByteStream.AddressKey);
            return null;
        }
        try
        {
            var staged = await client.UploadAsync(rows.Path, rows.Sha256, cancellationToken);
            return new StagedFoldRows(staged.UploadId, staged.Sha256, staged.SizeBytes);
        }
        catch (Exception exception) when (exception is ByteStreamException or HttpRequestException or IOException)
        {
            logger.LogWarning(exception, "Could not stage the fold's scored rows ({Bytes} bytes); the final job scores the fold again", rows.SizeBytes);
            return null;
        }
    }

    /// <summary>
    /// Every fold of <paramref name="job"/> with the path of its scored rows, downloaded into <paramref name="folder"/> and
    /// checked against their SHA-256; a fold whose rows cannot be had gets none (the run fits and scores it).
    /// </summary>
    public async Task<IReadOnlyList<FoldInput>> FetchAsync(TrainModel job, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        Directory.CreateDirectory(folder);
        var client = byteStream.For(job.TenantId);
        var inputs = new List<FoldInput>();
        foreach (var outcome in job.FoldOutcomes)
        {
            string? path = null;
            if (outcome.ScoredRows is { } staged && client is not null)
            {
                var destination = Path.Combine(folder, $"fold-{outcome.Fold}.rows");
                try
                {
                    var file = await client.DownloadAsync(ByteStream.UploadPath(staged.UploadId), destination, cancellationToken);
                    if (file.Sha256 == staged.Sha256) path = destination;
                    else logger.LogWarning("Fold {Fold}'s scored rows hash to {Actual}, not {Expected}; the fold is scored again", outcome.Fold, file.Sha256, staged.Sha256);
                }
                catch (Exception exception) when (exception is ByteStreamException or HttpRequestException or IOException or InvalidDataException)
                {
                    logger.LogWarning("Fold {Fold}'s scored rows (upload {UploadId}) could not be read ({Reason}); the fold is scored again",
                        outcome.Fold, staged.UploadId, exception.Message);
                }
            }
            inputs.Add(new FoldInput(outcome, path));
        }
        return inputs;
    }

    /// <summary>Deletes the folds' staged rows once the job that reports them has ended well; what is left expires in the store.</summary>
    public async Task ReleaseAsync(TrainModel job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (byteStream.For(job.TenantId) is not { } client) return;
        foreach (var staged in job.FoldOutcomes.Select(o => o.ScoredRows).OfType<StagedFoldRows>())
        {
            try
            {
                await client.DeleteUploadAsync(staged.UploadId, cancellationToken);
            }
            catch (Exception exception) when (exception is ByteStreamException or HttpRequestException or IOException)
            {
                logger.LogDebug(exception, "Staged fold rows {UploadId} not deleted; they expire in the store", staged.UploadId);
            }
        }
    }
}
