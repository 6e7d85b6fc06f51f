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

    /// <summary>Defaults and maxima of a job's <c>max_run_seconds</c> (<c>Scheduler:MaxRunSeconds</c>).</summary>
    public RunTimeLimits MaxRunSeconds { get; set; } = new();

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

    /// <summary>
    /// Whether this scheduler accepts and lists the <see cref="Training.Catalogue.BenchmarkTrainers"/>, trainers that do no
    /// ML work, for the platform's own sweep benchmarks (<c>Scheduler:BenchmarkTrainers</c>, default false). Read once,
    /// at start. Never in production: the chart has no value for it; the workers need <c>Worker:BenchmarkTrainers</c> too.
    /// </summary>
    public bool BenchmarkTrainers { get; set; }

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

/// <summary>
/// How long one attempt of a job may run (<c>JobSpec.max_run_seconds</c>), so that one job cannot hold a worker for as long
/// as it likes: a default for specs that set none, and a maximum no spec may exceed, globally and per tenant and queue
/// (docs/scheduling.md, "Run-time limits"). Every limit that applies holds: the maximum is the smallest of those set; the
/// default is the smallest of the tenant's and the queue's, else the global one, and never above the maximum.
/// 0 or absent means none.
/// </summary>
public sealed class RunTimeLimits
{
    /// <summary>For specs without a limit, where neither the tenant nor the queue sets one (<c>Scheduler:MaxRunSeconds:Default</c>).</summary>
    public int Default { get; set; }

    /// <summary>The most any spec may ask for (<c>Scheduler:MaxRunSeconds:Maximum</c>).</summary>
    public int Maximum { get; set; }

    /// <summary>Per named tenant (<c>Scheduler:MaxRunSeconds:Tenants:&lt;tenant&gt;:Default</c> and <c>:Maximum</c>).</summary>
    public Dictionary<string, RunTimeLimit> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per named queue (<c>Scheduler:MaxRunSeconds:Queues:&lt;queue&gt;:Default</c> and <c>:Maximum</c>).</summary>
    public Dictionary<string, RunTimeLimit> Queues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The default and the maximum (0 for none) that apply to a job of <paramref name="tenantId"/> in <paramref name="queue"/>.</summary>
    public (int Default, int Maximum) For(string tenantId, string queue)
    {
        var tenant = Tenants.GetValueOrDefault(tenantId);
        var named = Queues.GetValueOrDefault(queue);
        var maximum = Smallest(Maximum, tenant?.Maximum ?? 0, named?.Maximum ?? 0);
        var fallback = Smallest(tenant?.Default ?? 0, named?.Default ?? 0);
        var @default = fallback > 0 ? fallback : Default;
        return (maximum > 0 && (@default == 0 || @default > maximum) ? maximum : @default, maximum);
    }

    /// <summary>Whether every value is 0 or positive.</summary>
    internal bool IsValid => Default >= 0 && Maximum >= 0 && Tenants.Values.Concat(Queues.Values).All(l => l.Default >= 0 && l.Maximum >= 0);

    private static int Smallest(params int[] limits) => limits.Where(l => l > 0).DefaultIfEmpty(0).Min();
}

/// <summary>A tenant's or a queue's run-time limits in seconds (0 for none).</summary>
public sealed class RunTimeLimit
{
    /// <summary>For specs without a limit.</summary>
    public int Default { get; set; }

    /// <summary>The most a spec may ask for.</summary>
    public int Maximum { get; set; }
}
