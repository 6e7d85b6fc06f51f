using Platform.ModelStore.Datasets;

namespace Platform.ModelStore.Data;

// Rows of the store's database. They are named *Record to keep them apart from the gRPC messages
// (Dataset, ModelVersion, Artifact) that Grpc/ProtoMapping builds from them.

/// <summary>An uploaded data set: its profile here, its bytes in the blob store under <see cref="Sha256"/>.</summary>
public sealed class DatasetRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    /// <summary>"csv" for now.</summary>
    public required string Format { get; set; }
    /// <summary>SHA-256 of the bytes as uploaded, lower-case hex; also the blob's address.</summary>
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public long RowCount { get; set; }
    /// <summary>Columns in file order (a JSON text column).</summary>
    public required IReadOnlyList<DatasetColumn> Columns { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A model name of a tenant; its versions number from 1.</summary>
public sealed class ModelRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    /// <summary>
    /// The highest version number registered (0 until the first). Incrementing it is how a registration
    /// allocates its number: the update locks the row until the version row commits.
    /// </summary>
    public int LatestVersion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<ModelVersionRecord> Versions { get; } = [];
}

/// <summary>One trained model: what produced it, how it scored and its artifacts.</summary>
public sealed class ModelVersionRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ModelId { get; set; }
    public ModelRecord? Model { get; set; }
    public int Version { get; set; }
    /// <summary>The training job that produced this version; unique per tenant (registration is idempotent on it).</summary>
    public required string JobId { get; set; }
    public Guid DatasetId { get; set; }
    public required string DatasetSha256 { get; set; }
    /// <summary>"binary_classification", "multiclass_classification" or "regression".</summary>
    public required string Task { get; set; }
    public required string Trainer { get; set; }
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; set; }
    public int Seed { get; set; }
    public required string LabelColumn { get; set; }
    public required IReadOnlyDictionary<string, double> Metrics { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ArtifactRecord> Artifacts { get; } = [];
}

/// <summary>A file of a model version (the ML.NET model, the holdout predictions…); bytes in the blob store.</summary>
public sealed class ArtifactRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ModelVersionId { get; set; }
    /// <summary>"model", "predictions", …; unique within a version.</summary>
    public required string Kind { get; set; }
    /// <summary>SHA-256 of the bytes, lower-case hex; also the blob's address.</summary>
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>A suggested file name for downloads; never used as a path on the server.</summary>
    public required string FileName { get; set; }
}
