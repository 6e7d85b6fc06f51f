using System.Data.Common;
using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// The dispatch pass (docs/scheduling.md): hands queued jobs to the workers in priority order (higher first,
/// FIFO within a priority) while free worker slots remain, skipping jobs whose tenant or queue is at its limit.
/// Jobs are claimed in one transaction under a lock that every scheduler replica takes (a PostgreSQL advisory
/// lock; an in-process lock on single-process SQLite), so no two passes count the same slot or claim the same
/// job. <see cref="TrainModel"/> is published after the commit; a refused publish gives the slot back.
/// </summary>
public sealed class JobDispatcher(
    SchedulerDbContext db,
    IPublishEndpoint publisher,
    JobQueueSnapshot snapshots,
    DispatchSignal signal,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<JobDispatcher> logger)
{
    /// <summary>Key of the PostgreSQL advisory lock held while a pass claims jobs (any constant, shared by replicas).</summary>
    private const long DispatchLockKey = 0x706c_6174_6469_7370; // "platdisp"
    private static readonly SemaphoreSlim LocalLock = new(1, 1);

    /// <summary>Claims and publishes what the limits and free slots allow; returns how many attempts were published.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        List<TrainingJob> claimed;
        await LocalLock.WaitAsync(cancellationToken);
        try
        {
            // Npgsql retries transient errors, which needs the whole transaction as one retriable unit.
            claimed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var chosen = await ClaimAsync(cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return chosen;
            });
        }
        finally
        {
            LocalLock.Release();
        }

        var committed = Stopwatch.GetTimestamp();
        // All at once: each publish waits for the broker's confirm, and one after the other a pass of 64 jobs waited 64 of them.
        var refused = await Task.WhenAll(claimed.Select(job => PublishAsync(job, cancellationToken)));
        var published = 0;
        for (var i = 0; i < claimed.Count; i++)
        {
            if (refused[i] is null) published++;
            else await GiveBackAsync(claimed[i], refused[i]!);
        }
        if (claimed.Count > 0)
            logger.LogDebug("Dispatch pass: {Claimed} claimed in {ClaimMs:0.0} ms, {Published} published in {PublishMs:0.0} ms",
                claimed.Count, Stopwatch.GetElapsedTime(started, committed).TotalMilliseconds, published, Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
        return published;
    }

    /// <summary>
    /// The candidates in dispatch order (id, tenant, queue), after the slots (<see cref="JobQueueSnapshot.SlotsSql"/>) in the
    /// same command. Parameters <c>@now</c> and <c>@candidates</c>.
    /// </summary>
    private const string CandidatesSql =
        " SELECT id, tenant_id, queue FROM training_jobs WHERE state = 'Queued' AND dispatched_at IS NULL AND (not_before IS NULL OR not_before <= @now)" +
        " AND NOT awaiting_folds" +
        " ORDER BY priority DESC, created_at, id LIMIT @candidates;";

    /// <summary>Candidates read with the slots; more only when the free slots call for them (<see cref="CandidatesFor"/>).</summary>
    private const int FirstCandidates = 100;

    /// <summary>
    /// Under the dispatch lock, in one round trip (on PostgreSQL the lock is the first statement of the same command): the
    /// free slots and who holds them, and the first candidates in dispatch order; then the chosen rows in full.
    /// </summary>
    private async Task<List<TrainingJob>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var sql = JobQueueSnapshot.SlotsSql + CandidatesSql;
        if (db.Database.IsNpgsql()) sql = "SELECT pg_advisory_xact_lock(@lock);" + sql;
        JobQueueSnapshot.Slots queue;
        List<(Guid Id, string TenantId, string Queue)> candidates;
        await using (var command = snapshots.Command(db, sql, now))
        {
            if (db.Database.IsNpgsql()) JobQueueSnapshot.AddParameter(command, "lock", DispatchLockKey);
            JobQueueSnapshot.AddParameter(command, "now", now.UtcDateTime);
            JobQueueSnapshot.AddParameter(command, "candidates", FirstCandidates);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (db.Database.IsNpgsql()) await reader.NextResultAsync(cancellationToken);
            queue = await JobQueueSnapshot.ReadSlotsAsync(reader, cancellationToken);
            candidates = await ReadCandidatesAsync(reader, cancellationToken);
        }
        var free = queue.FreeSlots;
        signal.PassEnded(slotsLeft: free > 0);
        if (free <= 0) return [];
        // More than the free slots, so jobs held by a limit do not starve those behind them. Only what the choice needs:
        // the whole rows (specs as JSON, tracked) are loaded for the chosen jobs alone.
        if (CandidatesFor(free) > FirstCandidates && candidates.Count == FirstCandidates)
        {
            await using var command = snapshots.Command(db, CandidatesSql, now);
            JobQueueSnapshot.AddParameter(command, "now", now.UtcDateTime);
            JobQueueSnapshot.AddParameter(command, "candidates", CandidatesFor(free));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            candidates = await ReadCandidatesAsync(reader, cancellationToken);
        }

        var chosen = new List<Guid>();
        foreach (var job in candidates)
        {
            if (free == 0) break;
            if (queue.TenantLimitReached(job.TenantId, settings.Limits) || queue.QueueLimitReached(job.Queue, settings.Limits))
                continue;
            queue.Take(job.TenantId, job.Queue);
            free--;
            chosen.Add(job.Id);
        }
        signal.PassEnded(slotsLeft: free > 0);
        if (chosen.Count == 0) return [];

        // Read again under the lock and claimed through the job itself: one cancelled since the first read is left alone.
        var jobs = await db.TrainingJobs.Where(j => chosen.Contains(j.Id)).ToDictionaryAsync(j => j.Id, cancellationToken);
        var claimed = new List<TrainingJob>();
        foreach (var id in chosen)
        {
            if (jobs.TryGetValue(id, out var job) && job.Claim(now, now + settings.LeaseDuration)) claimed.Add(job);
        }
        return claimed;
    }

    private static int CandidatesFor(int freeSlots) => Math.Clamp(freeSlots * 4, FirstCandidates, 1000);

    private static async Task<List<(Guid, string, string)>> ReadCandidatesAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var candidates = new List<(Guid, string, string)>();
        while (await reader.ReadAsync(cancellationToken)) candidates.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        return candidates;
    }

    /// <summary>Publishes the attempt's command; returns why the broker refused it, or null.</summary>
    private async Task<Exception?> PublishAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.Publish(ToTrainModel(job), cancellationToken);
            logger.LogInformation("Dispatched job {JobId} attempt {Attempt} (priority {Priority}, queue {Queue})",
                job.Id, job.Attempt, job.Spec.Priority, job.Spec.Queue);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return ex;
        }
    }

    /// <summary>A direct update: gives the slot back for the next pass unless the job has moved on meanwhile.</summary>
    private async Task GiveBackAsync(TrainingJob job, Exception refusal)
    {
        logger.LogWarning(refusal, "Could not publish job {JobId} attempt {Attempt}; it waits for the next dispatch pass", job.Id, job.Attempt);
        await db.TrainingJobs
            .Where(j => j.Id == job.Id && j.Attempt == job.Attempt && j.State == JobState.Queued)
            .ExecuteUpdateAsync(set => set
                .SetProperty(j => j.DispatchedAt, (DateTimeOffset?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
    }

    internal static TrainModel ToTrainModel(TrainingJob job) => new()
    {
        JobId = job.Id,
        Attempt = job.Attempt,
        TenantId = job.TenantId,
        DatasetId = job.Spec.DatasetId,
        Task = job.Spec.Task,
        LabelColumn = job.Spec.LabelColumn,
        Trainer = job.Spec.Trainer,
        Hyperparameters = new Dictionary<string, string>(job.Spec.Hyperparameters),
        Seed = job.Spec.Seed,
        ModelName = job.Spec.ModelName,
        HoldoutFraction = job.Spec.HoldoutFraction,
        Preparation = job.Spec.Preparation,
        Evaluation = job.Spec.Evaluation,
        EvaluateOnly = job.EvaluateOnly,
        Tags = Sweeps.SweepTags.Of(job),
        Fold = job.Fold,
        FoldOutcomes = job.FoldOutcomes ?? [],
    };
}
