using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>Reads the slots the dispatch pass and <c>GetJob</c>'s pending reason work from.</summary>
public sealed class JobQueueSnapshot(IOptions<SchedulerOptions> options)
{
    /// <summary>Connected worker slots and who holds them, as of <paramref name="now"/>.</summary>
    public async Task<Slots> ReadAsync(SchedulerDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var seenSince = now - options.Value.LeaseDuration;
        var workers = await db.Workers.AsNoTracking()
            .Where(w => w.LastSeenAt >= seenSince && !w.Draining)
            .Select(w => new { w.Capacity })
            .ToListAsync(cancellationToken);
        var holders = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.State == JobState.Running || (j.State == JobState.Queued && j.DispatchedAt != null))
            .Select(j => new { j.TenantId, j.Spec.Queue })
            .ToListAsync(cancellationToken);
        var slots = new Slots(workers.Count, workers.Sum(w => w.Capacity));
        foreach (var holder in holders) slots.Take(holder.TenantId, holder.Queue);
        return slots;
    }

    /// <summary>Worker slots and the jobs holding them, counted per tenant and per queue.</summary>
    public sealed class Slots(int workers, int capacity)
    {
        private readonly Dictionary<string, int> _byTenant = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _byQueue = new(StringComparer.Ordinal);

        /// <summary>Connected workers that take work.</summary>
        public int Workers { get; } = workers;
        /// <summary>Their slots in total.</summary>
        public int Capacity { get; } = capacity;
        /// <summary>Slots held by dispatched or running jobs.</summary>
        public int Busy { get; private set; }
        public int FreeSlots => Math.Max(0, Capacity - Busy);

        public int RunningForTenant(string tenantId) => _byTenant.GetValueOrDefault(tenantId);
        public int RunningInQueue(string queue) => _byQueue.GetValueOrDefault(queue);

        public bool TenantLimitReached(string tenantId, SchedulerLimits limits) =>
            limits.ForTenant(tenantId) is > 0 and var limit && RunningForTenant(tenantId) >= limit;

        public bool QueueLimitReached(string queue, SchedulerLimits limits) =>
            limits.ForQueue(queue) is > 0 and var limit && RunningInQueue(queue) >= limit;

        /// <summary>Counts one more slot held by a job of this tenant and queue.</summary>
        public void Take(string tenantId, string queue)
        {
            Busy++;
            _byTenant[tenantId] = RunningForTenant(tenantId) + 1;
            _byQueue[queue] = RunningInQueue(queue) + 1;
        }
    }
}
