using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.Registry.V1;

namespace Platform.ModelStore.Tests;

/// <summary>Request streams as the CLI and the worker send them.</summary>
internal static class Requests
{
    public static byte[] Penguins() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "penguins.csv"));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static List<UploadDatasetRequest> Upload(string name, byte[] bytes, int chunkSize = 64 * 1024, string sha256 = "")
    {
        var messages = new List<UploadDatasetRequest>
        {
            new() { Header = new UploadDatasetHeader { Name = name, Format = DatasetFormat.Csv, Sha256 = sha256 } },
        };
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
            messages.Add(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(bytes, offset, Math.Min(chunkSize, bytes.Length - offset)) });
        return messages;
    }

    public static List<UploadDatasetRequest> Upload(string name, string csv) => Upload(name, Encoding.UTF8.GetBytes(csv));

    /// <summary>The first message of a registration, as the worker fills it after training.</summary>
    public static ModelVersion Version(string modelName, string jobId) => new()
    {
        ModelName = modelName,
        JobId = jobId,
        DatasetId = "0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11",
        DatasetSha256 = new string('d', 64),
        Task = "multiclass_classification",
        Trainer = "sdca_maximum_entropy",
        Hyperparameters = { ["l2_regularization"] = "0.1" },
        Seed = 42,
        LabelColumn = "Species",
        Metrics = { ["accuracy"] = 0.97, ["macro_f1"] = 0.96, ["log_loss"] = double.NaN },
    };

    /// <summary>One artifact as declared: kind, bytes, and what the header claims (the truth unless overridden).</summary>
    public sealed record ArtifactUpload(string Kind, byte[] Bytes, string? DeclaredSha256 = null, long? DeclaredSize = null);

    public static List<RegisterModelVersionRequest> Registration(ModelVersion version, params ArtifactUpload[] artifacts)
    {
        var messages = new List<RegisterModelVersionRequest> { new() { Version = version } };
        foreach (var artifact in artifacts)
        {
            messages.Add(new RegisterModelVersionRequest
            {
                Artifact = new Artifact
                {
                    Kind = artifact.Kind,
                    Sha256 = artifact.DeclaredSha256 ?? Sha256(artifact.Bytes),
                    SizeBytes = artifact.DeclaredSize ?? artifact.Bytes.Length,
                    FileName = artifact.Kind == "model" ? "model.zip" : $"{artifact.Kind}.csv",
                },
            });
            for (var offset = 0; offset < artifact.Bytes.Length; offset += 64 * 1024)
                messages.Add(new RegisterModelVersionRequest
                {
                    Chunk = ByteString.CopyFrom(artifact.Bytes, offset, Math.Min(64 * 1024, artifact.Bytes.Length - offset)),
                });
        }
        return messages;
    }

    public static List<RegisterModelVersionRequest> Registration(string modelName, string jobId, byte[] model, byte[] predictions) =>
        Registration(Version(modelName, jobId), new ArtifactUpload("model", model), new ArtifactUpload("predictions", predictions));

    /// <summary>The first message of an upload: a model trained elsewhere, with what its uploader knows.</summary>
    public static ModelVersion UploadHeader(string modelName) => new()
    {
        ModelName = modelName,
        Task = "binary_classification",
        Trainer = "fast_tree",
        LabelColumn = "Label",
        Metrics = { ["auc"] = 0.91 },
        Description = "Trained in a notebook.",
    };

    public static List<UploadModelVersionRequest> ModelUpload(ModelVersion header, params ArtifactUpload[] artifacts) =>
        Registration(header, artifacts).Select(m => m.ContentCase switch
        {
            RegisterModelVersionRequest.ContentOneofCase.Version => new UploadModelVersionRequest { Version = m.Version },
            RegisterModelVersionRequest.ContentOneofCase.Artifact => new UploadModelVersionRequest { Artifact = m.Artifact },
            _ => new UploadModelVersionRequest { Chunk = m.Chunk },
        }).ToList();

    public static List<UploadModelVersionRequest> ModelUpload(string modelName, byte[] model) =>
        ModelUpload(UploadHeader(modelName), new ArtifactUpload("model", model));

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>A request stream whose client goes away after sending some messages: the call is cancelled mid-stream.</summary>
internal sealed class CancelledMidStreamReader<T>(IReadOnlyList<T> messages, int cancelAfter, Platform.Testing.Grpc.TestServerCallContext context)
    : IAsyncStreamReader<T> where T : class
{
    private int _next;

    public T Current { get; private set; } = null!;

    public Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_next == cancelAfter) context.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
        if (_next == messages.Count) return Task.FromResult(false);
        Current = messages[_next++];
        return Task.FromResult(true);
    }
}
