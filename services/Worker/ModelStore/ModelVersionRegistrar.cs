using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Grpc;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training;
using Platform.Training.Onnx;
using Platform.Transfers;

namespace Platform.Worker.ModelStore;

/// <summary>Streams a finished run to the model store as a new model version.</summary>
public sealed class ModelVersionRegistrar(
    ModelRegistry.ModelRegistryClient registry, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ModelVersionRegistrar> logger,
    ModelStoreByteStream? byteStream = null)
{
    /// <summary>Artifact kinds, as <c>ModelService.DownloadModelVersion</c> serves them.</summary>
    public const string ModelArtifact = "model";
    public const string PredictionsArtifact = "predictions";
    /// <summary>The evaluation in full and the spec that produced it (<c>evaluation.json</c>; see docs/training.md).</summary>
    public const string EvaluationArtifact = "evaluation";
    /// <summary>The model as ONNX (<c>model.onnx</c>), when ML.NET's converter supports the pipeline.</summary>
    public const string OnnxArtifact = "onnx";
    /// <summary>
    /// Tag every job's version carries: <c>exported</c>, or why there is no <see cref="OnnxArtifact"/>
    /// ("ONNX export not supported: …"). A tag, so <c>SearchModelVersions</c> finds the versions with or without one.
    /// </summary>
    public const string OnnxExportTag = "onnx_export";

    /// <summary>
    /// Sends the version (everything but the artifacts), then each artifact's header (kind, file name,
    /// SHA-256 and size as computed while it was written) followed by its bytes in 1 MiB chunks
    /// (<see cref="GrpcTransfer.ChunkBytes"/>); or, with the store's byte stream configured, each artifact's bytes over
    /// HTTP/1.1 first and then headers naming them (<c>upload_id</c>).
    /// The store registers a job once: a retried attempt gets the version registered first, which must hold the model
    /// this attempt uploaded. A registration that fails deletes what it staged.
    /// </summary>
    /// <exception cref="RegisteredModelMismatchException">The store's version of the job holds other model bytes.</exception>
    /// <param name="onnx">The ONNX export: an extra artifact, or the reason there is none (recorded in <see cref="OnnxExportTag"/>).</param>
    /// <param name="progress">Receives the share of artifact bytes sent.</param>
    /// <param name="moreArtifacts">Artifacts written after the run (the model card), sent after the run's own.</param>
    public async Task<ModelVersion> RegisterAsync(
        TrainModel job, string datasetSha256, TrainingResult result, OnnxExportResult onnx, Action<double> progress, CancellationToken cancellationToken,
        IReadOnlyList<(string Kind, TrainingArtifact File)>? moreArtifacts = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(onnx);
        var version = new ModelVersion
        {
            ModelName = job.ModelName,
            TenantId = job.TenantId,
            JobId = job.JobId.ToString(),
            Attempt = job.Attempt,
            DatasetId = job.DatasetId.ToString(),
            DatasetSha256 = datasetSha256,
            Task = job.Task,
            Trainer = job.Trainer,
            Seed = job.Seed,
            LabelColumn = job.LabelColumn,
            TrainingSeconds = result.Timings.Training.TotalSeconds,
            TrainedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Worker = options.Value.Name,
        };
        // The hyperparameters as used, defaults included, and the preparation as fitted: with the seed, the data
        // set and evaluation.json (which holds the preparation and evaluation as asked), enough to re-run the job.
        foreach (var (name, value) in result.Settings.Hyperparameters) version.Hyperparameters[name] = value;
        foreach (var (name, value) in result.Metrics) version.Metrics[name] = value;
        foreach (var step in result.Preparation)
        {
            var message = new PreparationStep { Kind = step.Kind };
            message.Columns.Add(step.Columns);
            foreach (var (name, value) in step.Parameters) message.Parameters[name] = value;
            version.PreparationSteps.Add(message);
        }
        version.InputSchema.Add(result.InputSchema.Select(c => new SchemaColumn { Name = c.Name, Type = c.Type }));
        version.OutputSchema.Add(result.OutputSchema.Select(c => new SchemaColumn { Name = c.Name, Type = c.Type }));

        foreach (var (name, value) in job.Tags) version.Tags[name] = value;
        version.Tags[OnnxExportTag] = onnx.Model is null ? Truncate(onnx.NotSupportedReason ?? "not exported", RegistryTagValueLimit) : "exported";

        (string Kind, TrainingArtifact File)[] artifacts =
            [(ModelArtifact, result.Model), (PredictionsArtifact, result.Predictions), (EvaluationArtifact, result.EvaluationFile),
             .. onnx.Model is { } onnxFile ? [(OnnxArtifact, onnxFile)] : Array.Empty<(string, TrainingArtifact)>(), .. moreArtifacts ?? []];
        var total = artifacts.Sum(a => a.File.SizeBytes);
        long sent = 0;

        // With the store's byte stream, every artifact's bytes go there first (staged under an upload id); the
        // registration below then names them instead of streaming chunks.
        var staged = new Dictionary<string, string>(StringComparer.Ordinal);
        var transfers = byteStream?.For(job.TenantId);
        try
        {
            if (transfers is not null)
            {
                foreach (var (kind, file) in artifacts)
                {
                    staged[kind] = (await transfers.UploadAsync(file.Path, file.Sha256, cancellationToken)).UploadId;
                    sent += file.SizeBytes;
                    if (total > 0) progress((double)sent / total);
                }
            }
            var registered = await SendAsync(job, version, artifacts, staged, total, sent, progress, cancellationToken);
            // The store answers with the job's version: it must hold the model this attempt trained, not bytes that
            // someone else registered under the job's id.
            var model = registered.Artifacts.SingleOrDefault(a => a.Kind == ModelArtifact)?.Sha256;
            if (model != result.Model.Sha256)
                throw new RegisteredModelMismatchException(
                    $"the model store answered with {registered.ModelName}:{registered.Version}, whose model has sha256 {model ?? "(none)"}, " +
                    $"but this attempt trained and uploaded sha256 {result.Model.Sha256}");
            return registered;
        }
        catch (Exception) when (staged.Count > 0)
        {
            await DeleteStagedAsync(transfers!, staged.Values);
            throw;
        }
    }

    private async Task<ModelVersion> SendAsync(
        TrainModel job, ModelVersion version, (string Kind, TrainingArtifact File)[] artifacts, Dictionary<string, string> staged,
        long total, long sent, Action<double> progress, CancellationToken cancellationToken)
    {
        using var call = registry.RegisterModelVersion(Tenant.Headers(job.TenantId), cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Version = version }, cancellationToken);
        var buffer = new byte[GrpcTransfer.ChunkBytes];
        foreach (var (kind, file) in artifacts)
        {
            await call.RequestStream.WriteAsync(new RegisterModelVersionRequest
            {
                Artifact = new Artifact
                {
                    Kind = kind, FileName = Path.GetFileName(file.Path), Sha256 = file.Sha256, SizeBytes = file.SizeBytes,
                    UploadId = staged.GetValueOrDefault(kind, ""),
                },
            }, cancellationToken);
            if (staged.ContainsKey(kind)) continue;
            // Unbuffered: every read fills a whole chunk straight from the file.
            await using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            int read;
            while ((read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                // Wrapped, not copied: the client has serialized the message by the time WriteAsync completes, and
                // the buffer is refilled only after that.
                await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Chunk = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)) }, cancellationToken);
                sent += read;
                if (total > 0) progress((double)sent / total);
            }
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>
    /// A registration that failed deletes the bytes it staged: the store uses a staged upload once (a refused
    /// registration that read its artifact messages deleted them already), and a registration cut short before that
    /// would otherwise leave them until they expire. Best effort: what cannot be deleted now still expires.
    /// </summary>
    private async Task DeleteStagedAsync(ByteStreamClient transfers, IEnumerable<string> uploadIds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var uploadId in uploadIds)
        {
            try
            {
                await transfers.DeleteUploadAsync(uploadId, timeout.Token);
            }
            catch (Exception exception) when (exception is ByteStreamException or HttpRequestException or OperationCanceledException)
            {
                // NotFound: the store used it up already; otherwise it expires with the store's staged-upload lifetime.
                logger.LogDebug("Staged upload {UploadId} not deleted: {Reason}", uploadId, exception.Message);
            }
        }
    }

    /// <summary>The model store's longest tag value.</summary>
    private const int RegistryTagValueLimit = 256;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}

/// <summary>
/// The model store's version of the job holds a model with other bytes than the attempt uploaded: the job's result
/// cannot be trusted, and training again would not change what the store holds. A permanent failure.
/// </summary>
public sealed class RegisteredModelMismatchException(string message) : Exception(message);
