using Platform.ModelStore.Datasets;
using Platform.ModelStore.Datasets.Profiling;

namespace Platform.ModelStore.Data;

// Rows of the store's database. They are named *Record to keep them apart from the gRPC messages
// (Dataset, ModelVersion, Artifact) that Grpc/ProtoMapping builds from them.

/// <summary>An uploaded data set: its profile here, its bytes in the blob store under <see cref="Sha256"/>.</summary>
public sealed class DatasetRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    /// <summary>"csv", "tsv" or "parquet".</summary>
    public required string Format { get; set; }
    /// <summary>SHA-256 of the bytes as uploaded, lower-case hex; also the blob's address.</summary>
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public long RowCount { get; set; }
    /// <summary>Columns in file order (a JSON text column).</summary>
    public required IReadOnlyList<DatasetColumn> Columns { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A data set's profile, computed once from every row at upload and stored beside it (its own table, so listing
/// data sets never loads it). Deleted with its data set.
/// </summary>
public sealed class DatasetProfileRecord
{
    public Guid DatasetId { get; set; }
    /// <summary>The profile (a JSON text column).</summary>
    public required StoredProfile Profile { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
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
    /// <summary>Retention: the sweep keeps this many newest versions (and every version with an alias); 0 keeps all.</summary>
    public int KeepLastVersions { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<ModelVersionRecord> Versions { get; } = [];
    public List<ModelAliasRecord> Aliases { get; } = [];
}

/// <summary>How a model version came to be.</summary>
public enum ModelVersionSource
{
    /// <summary>Registered by a worker for a training job.</summary>
    TrainingJob,
    /// <summary>Uploaded by a user (trained elsewhere).</summary>
    Upload,
}

/// <summary>The approval decision on a model version.</summary>
public enum ApprovalStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>One model: what produced it (its lineage), how it scored, its artifacts, tags, aliases and approval.</summary>
public sealed class ModelVersionRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ModelId { get; set; }
    public ModelRecord? Model { get; set; }
    public int Version { get; set; }
    public ModelVersionSource Source { get; set; }
    /// <summary>The training job that produced this version (null for uploads); unique per tenant (registration is idempotent on it).</summary>
    public string? JobId { get; set; }
    /// <summary>The job's attempt that trained it (0 when unknown).</summary>
    public int Attempt { get; set; }
    /// <summary>The data set it was trained on; null for an upload that names none.</summary>
    public Guid? DatasetId { get; set; }
    public string? DatasetSha256 { get; set; }
    /// <summary>"binary_classification", "multiclass_classification" or "regression".</summary>
    public required string Task { get; set; }
    public required string Trainer { get; set; }
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; set; }
    public int Seed { get; set; }
    public required string LabelColumn { get; set; }
    /// <summary>Every metric as registered, NaN included (a JSON text column). Finite values are also in <see cref="MetricValues"/> for search.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; set; }
    public IReadOnlyList<PreparationStepRecord> PreparationSteps { get; set; } = [];
    public string PlatformVersion { get; set; } = "";
    public string GitCommit { get; set; } = "";
    public double TrainingSeconds { get; set; }
    public DateTimeOffset? TrainedAt { get; set; }
    public string Worker { get; set; } = "";
    public IReadOnlyList<SchemaColumnRecord> InputSchema { get; set; } = [];
    public IReadOnlyList<SchemaColumnRecord> OutputSchema { get; set; } = [];
    public string Description { get; set; } = "";
    public ApprovalStatus ApprovalStatus { get; set; }
    /// <summary>Who made the latest approval decision, as the caller named itself; null while pending from the start.</summary>
    public string? ApprovalActor { get; set; }
    public DateTimeOffset? ApprovalDecidedAt { get; set; }
    public string? ApprovalComment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ArtifactRecord> Artifacts { get; } = [];
    public List<ModelVersionTagRecord> Tags { get; } = [];
    public List<ModelVersionMetricRecord> MetricValues { get; } = [];
    public List<ModelAliasRecord> Aliases { get; } = [];
}

/// <summary>A data preparation step of a version's pipeline (stored as JSON with the version).</summary>
public sealed record PreparationStepRecord(string Kind, IReadOnlyList<string> Columns, IReadOnlyDictionary<string, string> Parameters);

/// <summary>A column of a model's input or output schema (stored as JSON with the version).</summary>
public sealed record SchemaColumnRecord(string Name, string Type);

/// <summary>A tag of a model version. Its own table so that searches by tag use an index.</summary>
public sealed class ModelVersionTagRecord
{
    public Guid ModelVersionId { get; set; }
    public required string TenantId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

/// <summary>
/// A finite metric of a model version, kept as a row so that metric-threshold searches run in SQL on both engines
/// (the JSON column cannot be filtered portably). Written once with the version: metrics never change.
/// </summary>
public sealed class ModelVersionMetricRecord
{
    public Guid ModelVersionId { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    public double Value { get; set; }
}

/// <summary>A named pointer (production, staging, …) at one version of a model.</summary>
public sealed class ModelAliasRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ModelId { get; set; }
    public required string Name { get; set; }
    public Guid ModelVersionId { get; set; }
    public ModelVersionRecord? ModelVersion { get; set; }
    /// <summary>Who last set it, as the caller named itself (no authentication yet).</summary>
    public required string SetBy { get; set; }
    public DateTimeOffset SetAt { get; set; }
}

/// <summary>
/// A registry event waiting to be published, or published (<see cref="SentAt"/>). Written in the same transaction
/// as the change it reports, so a committed change always has its event; <c>OutboxPublisher</c> publishes it.
/// </summary>
public sealed class OutboxMessageRecord
{
    /// <summary>
    /// Assigned by the database on insert; the order events are published in. Changes to one model insert their events
    /// while holding the model's row lock, so for one model this is also the order the changes committed in.
    /// </summary>
    public long Sequence { get; set; }
    /// <summary>The message id on the bus, the same on every redelivery, so consumers can drop a repeat.</summary>
    public Guid MessageId { get; set; }
    public required string TenantId { get; set; }
    /// <summary>The contract's type name in Platform.Contracts, e.g. "ModelVersionRegistered".</summary>
    public required string MessageType { get; set; }
    /// <summary>The message as JSON.</summary>
    public required string Payload { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>The audit record of a data-subject erasure: who, when and which ids went. Never any data or names.</summary>
public sealed class DatasetErasureRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid DatasetId { get; set; }
    public required string Actor { get; set; }
    public required string RequestReference { get; set; }
    public DateTimeOffset ErasedAt { get; set; }
    /// <summary>The versions deleted with the data set (a JSON text column).</summary>
    public required IReadOnlyList<ErasedVersionRecord> Versions { get; set; }
    public int BlobsDeleted { get; set; }
}

/// <summary>A version deleted by an erasure.</summary>
public sealed record ErasedVersionRecord(string ModelName, int Version, Guid VersionId);

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
