namespace Platform.Scheduler;

/// <summary>Tuning of the scheduler, bound from the <c>Scheduler</c> configuration section (docs/scheduling.md).</summary>
public sealed class SchedulerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Scheduler";

    /// <summary>
    /// How often the supervisor runs even when nothing woke it (<c>Scheduler:SweepInterval</c>): expires leases,
    /// times out jobs past their deadline, and dispatches what the limits and free worker slots allow.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an attempt keeps its worker slot without a heartbeat (<c>Scheduler:LeaseDuration</c>), and how
    /// long a worker counts as connected after its last heartbeat. Several heartbeat intervals long.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failed attempts after which a job with transient failures ends Failed (<c>Scheduler:MaxAttempts</c>).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before the second attempt, doubled for each further one (<c>Scheduler:RetryBackoff</c>).</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between attempts (<c>Scheduler:MaxRetryBackoff</c>).</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Limits on concurrently running jobs (<c>Scheduler:Limits</c>).</summary>
    public SchedulerLimits Limits { get; set; } = new();

    /// <summary>
    /// How often the <see cref="Jobs.JobWatchFeed"/> re-reads every watched job although no notification came
    /// (<c>Scheduler:WatchPollInterval</c>): one query for all of them, which finds a change another replica made while
    /// this one was not listening (PostgreSQL restarting), or on SQLite, where replicas cannot notify each other.
    /// </summary>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a data set found at the model store is taken as found by further submissions for the same tenant
    /// (<c>Scheduler:DatasetLookupCache</c>); zero asks the store on every submission. See <see cref="Jobs.DatasetLookupCache"/>.
    /// </summary>
    public TimeSpan DatasetLookupCache { get; set; } = TimeSpan.FromSeconds(5);

    internal Jobs.RetryPolicy Retry => new(MaxAttempts, RetryBackoff, MaxRetryBackoff);
}

/// <summary>
/// Limits on jobs holding a worker slot (dispatched or running) at once. 0 or absent means no limit.
/// </summary>
public sealed class SchedulerLimits
{
    /// <summary>Per tenant, for tenants not named in <see cref="Tenants"/> (<c>Scheduler:Limits:PerTenant</c>).</summary>
    public int PerTenant { get; set; }

    /// <summary>Per named tenant (<c>Scheduler:Limits:Tenants:&lt;tenant&gt;</c>).</summary>
    public Dictionary<string, int> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per named queue (<c>Scheduler:Limits:Queues:&lt;queue&gt;</c>); other queues are unlimited.</summary>
    public Dictionary<string, int> Queues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The tenant's limit; 0 for none.</summary>
    public int ForTenant(string tenantId) => Tenants.TryGetValue(tenantId, out var limit) ? limit : PerTenant;

    /// <summary>The queue's limit; 0 for none.</summary>
    public int ForQueue(string queue) => Queues.TryGetValue(queue, out var limit) ? limit : 0;
}
