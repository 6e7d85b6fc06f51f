using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Reads the slots the dispatch pass and <c>GetJob</c>'s pending reason work from: the connected workers' capacity and the
/// jobs holding slots, counted per tenant and queue by the database. Plain SQL that PostgreSQL and SQLite both run, so the
/// dispatch pass can send it in one command with its other reads (<see cref="JobDispatcher"/>): one round trip where
/// three queries took three.
/// </summary>
public sealed class JobQueueSnapshot(IOptions<SchedulerOptions> options)
{
    /// <summary>Two result sets: (workers, capacity), then (tenant, queue, slots held) per tenant and queue. Parameter <c>@seen_since</c>.</summary>
    internal const string SlotsSql =
        "SELECT count(*), coalesce(sum(capacity), 0) FROM workers WHERE last_seen_at >= @seen_since AND NOT draining;" +
        " SELECT tenant_id, queue, count(*) FROM training_jobs WHERE state = 'Running' OR (state = 'Queued' AND dispatched_at IS NOT NULL)" +
        " GROUP BY tenant_id, queue;";

    /// <summary>Connected worker slots and who holds them, as of <paramref name="now"/>.</summary>
    public async Task<Slots> ReadAsync(SchedulerDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, SlotsSql, now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await ReadSlotsAsync(reader, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A command of <paramref name="sql"/> (which may start with <see cref="SlotsSql"/>) on the context's connection and in
    /// its transaction, with <c>@seen_since</c> set for <paramref name="now"/>.
    /// </summary>
    internal DbCommand Command(SchedulerDbContext db, string sql, DateTimeOffset now)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        AddParameter(command, "seen_since", (now - options.Value.LeaseDuration).UtcDateTime);
        return command;
    }

    /// <summary>Adds a parameter; dates as UTC <see cref="DateTime"/>, as the model stores them (see <see cref="SchedulerDbContext"/>).</summary>
    internal static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Reads the two result sets of <see cref="SlotsSql"/> and moves the reader to the next one.</summary>
    internal static async Task<Slots> ReadSlotsAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        var slots = new Slots(Number(reader, 0), Number(reader, 1));
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            slots.Take(reader.GetString(0), reader.GetString(1), Number(reader, 2));
        await reader.NextResultAsync(cancellationToken);
        return slots;
    }

    /// <summary>A count or sum: bigint on PostgreSQL, integer on SQLite.</summary>
    internal static int Number(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

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

        /// <summary>Counts <paramref name="count"/> more slots held by jobs of this tenant and queue.</summary>
        public void Take(string tenantId, string queue, int count = 1)
        {
            Busy += count;
            _byTenant[tenantId] = RunningForTenant(tenantId) + count;
            _byQueue[queue] = RunningInQueue(queue) + count;
        }
    }
}
