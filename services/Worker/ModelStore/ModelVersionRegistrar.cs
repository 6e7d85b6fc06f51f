using Google.Protobuf;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training;

namespace Platform.Worker.ModelStore;

/// <summary>Streams a finished run to the model store as a new model version.</summary>
public sealed class ModelVersionRegistrar(ModelRegistry.ModelRegistryClient registry)
{
    /// <summary>Artifact kinds and file names, as <c>ModelService.DownloadModelVersion</c> serves them.</summary>
    public const string ModelArtifact = "model";
    public const string PredictionsArtifact = "predictions";

    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Sends the version (everything but the artifacts), then each artifact's header (kind, file name,
    /// SHA-256 and size as computed while it was written) followed by its bytes in 64 KiB chunks.
    /// The store registers a job once: a retried attempt gets the version registered first.
    /// </summary>
    /// <param name="progress">Receives the share of artifact bytes sent.</param>
    public async Task<ModelVersion> RegisterAsync(
        TrainModel job, string datasetSha256, TrainingResult result, Action<double> progress, CancellationToken cancellationToken)
    {
        var version = new ModelVersion
        {
            ModelName = job.ModelName,
            TenantId = job.TenantId,
            JobId = job.JobId.ToString(),
            DatasetId = job.DatasetId.ToString(),
            DatasetSha256 = datasetSha256,
            Task = job.Task,
            Trainer = job.Trainer,
            Seed = job.Seed,
            LabelColumn = job.LabelColumn,
        };
        // The hyperparameters as used, defaults included: enough to reproduce the model.
        foreach (var (name, value) in result.Settings.Hyperparameters) version.Hyperparameters[name] = value;
        foreach (var (name, value) in result.Metrics) version.Metrics[name] = value;

        (string Kind, TrainingArtifact File)[] artifacts =
            [(ModelArtifact, result.Model), (PredictionsArtifact, result.Predictions)];
        var total = artifacts.Sum(a => a.File.SizeBytes);
        long sent = 0;

        using var call = registry.RegisterModelVersion(Tenant.Headers(job.TenantId), cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Version = version }, cancellationToken);
        var buffer = new byte[ChunkSize];
        foreach (var (kind, file) in artifacts)
        {
            await call.RequestStream.WriteAsync(new RegisterModelVersionRequest
            {
                Artifact = new Artifact { Kind = kind, FileName = Path.GetFileName(file.Path), Sha256 = file.Sha256, SizeBytes = file.SizeBytes },
            }, cancellationToken);
            await using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkSize, useAsync: true);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
                sent += read;
                if (total > 0) progress((double)sent / total);
            }
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }
}
