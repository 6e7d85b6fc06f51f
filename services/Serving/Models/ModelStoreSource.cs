using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.Serving.Logging;
using Platform.Serving.Scoring;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training;

namespace Platform.Serving.Models;

/// <summary>
/// Where served models come from: the model store, called as the platform's services call it (the service credential,
/// the caller's tenant in <c>x-tenant-id</c>). It resolves references, downloads a version's model artifact to a scratch
/// file while hashing it, refuses bytes whose SHA-256 is not the registered one (DataLoss), and loads them, with the
/// columns the prediction log must leave out (<see cref="ISensitiveColumns"/>).
/// </summary>
internal sealed class ModelStoreSource(
    ModelService.ModelServiceClient store, DatasetService.DatasetServiceClient datasets, ISensitiveColumns sensitiveColumns, IOptions<ServingOptions> options, ILogger<ModelStoreSource> logger)
{
    private const string ModelArtifact = "model";
    private const string EvaluationArtifact = "evaluation";
    private const int MaxEvaluationBytes = 16 * 1024 * 1024;

    /// <summary>The version a reference names now, for <paramref name="tenant"/>.</summary>
    /// <exception cref="NotFoundException">No such model, version or alias for the tenant.</exception>
    /// <exception cref="InvalidArgumentException">The reference is malformed (field <c>model</c>).</exception>
    public async Task<ModelVersion> ResolveAsync(string tenant, string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ResolveModelAsync(new ResolveModelRequest { Reference = reference }, Tenant.Headers(tenant),
                cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new NotFoundException("model", reference);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            // The store names its own field ("reference: …"); here the field is the request's "model".
            var detail = ex.Status.Detail;
            var colon = detail.IndexOf(": ", StringComparison.Ordinal);
            throw new InvalidArgumentException("model", colon >= 0 ? detail[(colon + 2)..] : detail);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new UnavailableException($"the model store does not answer ({ex.StatusCode}); retry", ex);
        }
    }

    /// <summary>
    /// The profile of the data set a version was trained on, with its label described (monitoring's reference); null when
    /// the data set is gone (erased) or the store does not know it for the tenant.
    /// </summary>
    public async Task<DatasetProfile?> ProfileAsync(string tenant, string datasetId, string label, CancellationToken cancellationToken)
    {
        try
        {
            return await datasets.GetDatasetProfileAsync(new GetDatasetProfileRequest { DatasetId = datasetId, Label = label },
                Tenant.Headers(tenant), cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            return null;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new UnavailableException($"the model store does not answer ({ex.StatusCode}); retry", ex);
        }
    }

    /// <summary>Downloads, checks and loads a version.</summary>
    /// <exception cref="DataLossException">The artifact's bytes do not match its SHA-256, or they are not a model this service can load.</exception>
    public async Task<ServedVersion> LoadAsync(string tenant, ModelVersion version, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var identity = new VersionIdentity(tenant, version.ModelName, version.Version, Guid.Parse(version.Id));
        var artifact = version.Artifacts.FirstOrDefault(a => a.Kind == ModelArtifact)
                       ?? throw new FailedPreconditionException($"model {identity} has no '{ModelArtifact}' artifact to serve");
        if (artifact.SizeBytes > options.Value.MaxModelBytes)
            throw new ResourceExhaustedException($"{ServingOptions.Section}:MaxModelBytes",
                $"model {identity} is {artifact.SizeBytes} bytes; this service loads at most {options.Value.MaxModelBytes}");
        var facts = new ModelFacts(
            TrainingTasks.TryParse(version.Task, out var task) ? task
                : throw new FailedPreconditionException($"model {identity} has the task {Echo.Quote(version.Task)}, which serving does not know"),
            string.IsNullOrEmpty(version.LabelColumn) ? null : version.LabelColumn,
            [.. version.PreparationSteps.Select(step => (step.Kind, (IReadOnlyList<string>)[.. step.Columns]))],
            task == TrainingTask.BinaryClassification ? await BinaryClassesAsync(tenant, version, identity, cancellationToken) : null);

        Directory.CreateDirectory(options.Value.ScratchDirectory);
        var path = Path.Combine(options.Value.ScratchDirectory, $"serving-{Guid.NewGuid():N}.zip");
        try
        {
            await DownloadAsync(tenant, version, artifact, identity, path, cancellationToken);
            ScorableModel model;
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan))
            {
                try
                {
                    model = ScorableModel.Load(file, facts);
                }
                catch (InvalidDataException ex)
                {
                    throw new DataLossException($"model {identity} cannot be loaded: {ex.Message}");
                }
            }
            var sensitive = await sensitiveColumns.ForAsync(tenant, version, cancellationToken);
            var served = new ServedVersion(identity, model, artifact.SizeBytes, sensitive);
            logger.LogInformation("Loaded {Tenant}/{Model} ({Bytes} bytes, {Task}) in {Milliseconds:0} ms", tenant, identity, artifact.SizeBytes,
                version.Task, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return served;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task DownloadAsync(string tenant, ModelVersion version, Artifact artifact, VersionIdentity identity, string path, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.None))
        {
            using var call = store.DownloadModelVersion(new DownloadModelVersionRequest
            {
                ModelName = version.ModelName, Version = version.Version, Artifact = artifact.Kind,
            }, Tenant.Headers(tenant), cancellationToken: cancellationToken);
            try
            {
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    received += chunk.Data.Length;
                    if (received > options.Value.MaxModelBytes)
                        throw new ResourceExhaustedException($"{ServingOptions.Section}:MaxModelBytes",
                            $"model {identity} is larger than the {options.Value.MaxModelBytes} bytes this service loads");
                    sha.AppendData(chunk.Data.Span);
                    await file.WriteAsync(chunk.Data.Memory, cancellationToken);
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                throw new NotFoundException("model", identity.ToString());
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.DataLoss)
            {
                throw new DataLossException($"model {identity}: the model store could not read its artifact ({ex.Status.Detail})");
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                throw new UnavailableException($"the model store does not answer ({ex.StatusCode}); retry", ex);
            }
        }
        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (received != artifact.SizeBytes || !string.Equals(actual, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new DataLossException(
                $"model {identity}: the artifact's bytes do not match the registry ({received} bytes with SHA-256 {actual}; registered {artifact.SizeBytes} bytes with {artifact.Sha256}); it was not loaded");
    }

    /// <summary>
    /// A binary model answers true or false; the version's evaluation names the two classes ([negative, positive], as
    /// the label column writes them). Without an evaluation (an uploaded model) the classes are "false" and "true".
    /// </summary>
    private async Task<IReadOnlyList<string>?> BinaryClassesAsync(string tenant, ModelVersion version, VersionIdentity identity, CancellationToken cancellationToken)
    {
        if (version.Artifacts.FirstOrDefault(a => a.Kind == EvaluationArtifact) is not { } artifact || artifact.SizeBytes > MaxEvaluationBytes) return null;
        using var bytes = new MemoryStream();
        using var call = store.DownloadModelVersion(new DownloadModelVersionRequest
        {
            ModelName = version.ModelName, Version = version.Version, Artifact = EvaluationArtifact,
        }, Tenant.Headers(tenant), cancellationToken: cancellationToken);
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
            chunk.Data.WriteTo(bytes);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new DataLossException($"model {identity}: the evaluation's bytes do not match the registry; it was not loaded");
        try
        {
            using var json = JsonDocument.Parse(bytes.ToArray());
            return json.RootElement.TryGetProperty("confusion_matrix", out var matrix) && matrix.TryGetProperty("classes", out var classes)
                   && classes.GetArrayLength() == 2
                ? [.. classes.EnumerateArray().Select(c => c.GetString() ?? "")]
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
