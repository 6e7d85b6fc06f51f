namespace Platform.ModelStore;

/// <summary>Configuration section <c>ModelStore</c>.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>
    /// The largest artifact (one file of a version) the store accepts, in bytes; <c>ModelStore:MaxArtifactBytes</c>.
    /// A declared size above it is refused before any byte is stored. Default 10 GiB.
    /// </summary>
    public long MaxArtifactBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Bytes staged over the byte stream for a later registration (<c>ModelStore:Uploads</c>).</summary>
    public UploadOptions Uploads { get; set; } = new();

    /// <summary>Data set uploads (<c>ModelStore:Datasets</c>).</summary>
    public DatasetLimits Datasets { get; set; } = new();

    /// <summary>Registry events (<c>ModelStore:Outbox</c>).</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>Retention and blob sweeps (<c>ModelStore:Maintenance</c>).</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();
}

/// <summary>
/// Quotas on staged uploads (<c>POST /v1/uploads</c>, <c>ModelStore:Uploads</c>): bytes waiting for the registration that
/// names them. A staged upload is used by the first registration that names it, whatever the outcome, and one nobody
/// names is deleted by the maintenance pass after <see cref="MaintenanceOptions.OrphanGracePeriod"/>; these bound what
/// can wait meanwhile. An upload that would pass one is refused with ResourceExhausted naming it, before its bytes are
/// read when the request declares its length.
/// </summary>
public sealed class UploadOptions
{
    /// <summary>Most bytes one tenant may have staged at once (<c>ModelStore:Uploads:MaxStagedBytesPerTenant</c>). Default 20 GiB.</summary>
    public long MaxStagedBytesPerTenant { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Most staged uploads one tenant may have at once (<c>ModelStore:Uploads:MaxStagedPerTenant</c>). Default 64.</summary>
    public int MaxStagedPerTenant { get; set; } = 64;

    /// <summary>Most bytes staged by all tenants together (<c>ModelStore:Uploads:MaxStagedBytes</c>). Default 100 GiB.</summary>
    public long MaxStagedBytes { get; set; } = 100L * 1024 * 1024 * 1024;
}

/// <summary>
/// Limits on data set uploads (<c>ModelStore:Datasets</c>), each answered with InvalidArgument or ResourceExhausted
/// naming the key and its value, before anything is stored.
/// </summary>
public sealed class DatasetLimits
{
    /// <summary>The largest data set file, in bytes (<c>ModelStore:Datasets:MaxBytes</c>). Default 10 GiB.</summary>
    public long MaxBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Most data rows (<c>ModelStore:Datasets:MaxRows</c>). Default 100,000,000.</summary>
    public long MaxRows { get; set; } = 100_000_000;

    /// <summary>
    /// Most columns (<c>ModelStore:Datasets:MaxColumns</c>). Default 2,000. More is refused at the header (CSV, TSV) or
    /// the schema (Parquet), before any row is profiled.
    /// </summary>
    public int MaxColumns { get; set; } = 2_000;

    /// <summary>
    /// Memory the profile of one upload may hold, in bytes (<c>ModelStore:Datasets:ProfileMemoryBytes</c>), whatever its
    /// columns and rows: each column's summaries get an equal share (docs/datasets.md, "Memory"). Default 64 MiB.
    /// </summary>
    public long ProfileMemoryBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>How the outbox publisher sends registry events (<c>ModelStore:Outbox</c>).</summary>
public sealed class OutboxOptions
{
    /// <summary>Whether this process publishes pending events. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often to look for pending events when nothing wakes the publisher: it is woken right after each change
    /// this process commits, so the interval only matters for events another replica wrote or for retries. Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events claimed per round. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long one publish may wait for the broker before it counts as failed. Default 10 s.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait before retrying an event that failed (waits double from 1 s up to this). Default 5 min.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long published events stay in the table (for inspection) before maintenance drops them. Default 7 days.</summary>
    public TimeSpan KeepPublished { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>The periodic maintenance pass (<c>ModelStore:Maintenance</c>).</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Whether this process runs the pass periodically (RunMaintenance works either way). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between passes. Default 1 hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A blob file or upload temp file younger than this is never swept, whatever the rows say: an upload in progress
    /// (or one that has just moved its bytes into place) must not lose them. Default 1 hour.
    /// </summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most dangling rows listed in one report (all are counted in the log). Default 1000.</summary>
    public int MaxDanglingReported { get; set; } = 1000;
}
