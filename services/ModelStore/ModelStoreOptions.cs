namespace Platform.ModelStore;

/// <summary>Configuration section <c>ModelStore</c>.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>
    /// The largest artifact (one file of a version) the store accepts, in bytes; <c>ModelStore:MaxArtifactBytes</c>.
    /// A declared size above it is refused before any byte is stored. Default 10 GiB.
    /// </summary>
    public long MaxArtifactBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Registry events (<c>ModelStore:Outbox</c>).</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>Retention and blob sweeps (<c>ModelStore:Maintenance</c>).</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();
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
