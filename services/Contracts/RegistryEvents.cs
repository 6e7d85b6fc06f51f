namespace Platform.Contracts;

// Registry events: published by the model store through its outbox (at least once; the bus message id is the
// outbox row's id, the same on every redelivery, so consumers can drop duplicates). Schema and examples:
// docs/registry.md. Other systems (CI/CD, serving) subscribe to these; never remove or rename a property.

/// <summary>A new model version exists: registered by a worker for a training job, or uploaded.</summary>
public sealed record ModelVersionRegistered
{
    /// <summary>The version's id (<c>ModelVersion.id</c>).</summary>
    public required Guid VersionId { get; init; }
    public required string TenantId { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    /// <summary>"training_job" or "upload".</summary>
    public required string Source { get; init; }
    /// <summary>The training job; null for an upload.</summary>
    public string? JobId { get; init; }
    /// <summary>The data set it was trained on, when known.</summary>
    public Guid? DatasetId { get; init; }
    /// <summary>SHA-256 of the "model" artifact (the ML.NET zip).</summary>
    public required string ModelSha256 { get; init; }
    /// <summary>Holdout metrics by name; non-finite values (NaN) are left out.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public required DateTimeOffset At { get; init; }
}

/// <summary>
/// An alias of a model was set, moved or removed. <see cref="PreviousVersion"/> is null when the alias is new;
/// <see cref="Version"/> is null when it was removed.
/// </summary>
public sealed record ModelAliasMoved
{
    public required string TenantId { get; init; }
    public required string ModelName { get; init; }
    public required string Alias { get; init; }
    public int? PreviousVersion { get; init; }
    public int? Version { get; init; }
    /// <summary>The id of the version it now points at; null when removed.</summary>
    public Guid? VersionId { get; init; }
    /// <summary>Who made the change, as the caller named itself (no authentication yet).</summary>
    public required string Actor { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>A model version and its artifacts were deleted.</summary>
public sealed record ModelVersionDeleted
{
    public required Guid VersionId { get; init; }
    public required string TenantId { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    /// <summary>"deleted" (someone asked), "retention" (the model's retention policy) or "erasure" (data-subject erasure of its data set).</summary>
    public required string Reason { get; init; }
    public required string Actor { get; init; }
    public required DateTimeOffset At { get; init; }
}
