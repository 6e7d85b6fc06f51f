using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Group commit of job changes (docs/scheduling.md): every change of a job (a worker's report, a commit request, a
/// cancellation, an expired lease) waits here, and what has gathered while the previous commit ran is applied in one
/// transaction: the rows of its jobs locked in id order (<c>SELECT ... FOR UPDATE</c>), read, changed one change after
/// the other through the <see cref="TrainingJob"/> state machine, saved in one batch of statements and committed. An
/// idle scheduler applies a change at once on its own; under load one transaction carries many changes, so the
/// database sees four round trips per batch instead of four per change. Two changes of one job in a batch (a worker's
/// Started and its commit request usually arrive together) apply in arrival order to the same row. After the commit, the
/// committed rows and their new events go straight to this process's <see cref="JobWatchFeed"/>.
/// </summary>
public sealed class JobChangeQueue(IServiceScopeFactory scopes, JobWatchFeed watchers, ILogger<JobChangeQueue> logger)
    : GroupCommit<JobChangeQueue.ChangeRequest, JobChange>
{
    private const int MaxConflicts = 5;

    /// <summary>
    /// Applies <paramref name="change"/> (which returns false when it changes nothing) to the job with the next group
    /// commit. The change may run more than once (a retried transaction) and must only change the job.
    /// </summary>
    public Task<JobChange> ApplyAsync(Guid jobId, Func<TrainingJob, bool> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return EnqueueAsync(new ChangeRequest(jobId, change));
    }

    /// <inheritdoc />
    protected override async Task CommitAsync(Pending[] batch)
    {
        try
        {
            var (results, committed) = await ApplyWithRetriesAsync(batch);
            // Before the callers hear of it: a watcher sees the change as soon as it is committed, without reading it back.
            foreach (var (job, events) in committed) watchers.Committed(job, events);
            for (var i = 0; i < batch.Length; i++) batch[i].Done.TrySetResult(results[i]);
        }
        catch (Exception ex) when (batch.Length > 1 && ex is DbUpdateException or ChangeFailedException)
        {
            // Something one change did (a value the column refuses, a bug in a transition) must not fail the others.
            logger.LogWarning(ex, "A group commit of {Count} job changes failed; applying them one by one", batch.Length);
            foreach (var pending in batch) await CommitAsync([pending]);
        }
        catch (Exception ex)
        {
            // The database unreachable (after the execution strategy's retries): every waiting consumer retries its message.
            foreach (var pending in batch) pending.Done.TrySetException(ex is ChangeFailedException failed ? failed.InnerException! : ex);
        }
    }

    private async Task<(JobChange[] Results, List<(TrainingJob Job, List<JobEvent> Events)> Committed)> ApplyWithRetriesAsync(Pending[] batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var strategy = db.Database.CreateExecutionStrategy();
        for (var conflicts = 0; ; conflicts++)
        {
            try
            {
                // Npgsql retries transient errors, which needs the whole transaction as one retriable unit.
                return await strategy.ExecuteAsync(() => ApplyOnceAsync(db, batch));
            }
            catch (DbUpdateConcurrencyException ex) when (conflicts < MaxConflicts)
            {
                // Under the row locks only a writer that does not take them could get here; re-read and re-apply.
                logger.LogDebug(ex, "Concurrent update while applying {Count} job changes; retrying", batch.Length);
            }
        }
    }

    /// <summary>
    /// Lock, read, change and save in one transaction that holds the rows' locks from the read on, so changes of the same
    /// job in other transactions (another replica, the dispatch pass) wait for each other instead of failing. Returns each
    /// change's result and, per changed job, the row as saved with the events this transaction added.
    /// </summary>
    private async Task<(JobChange[], List<(TrainingJob, List<JobEvent>)>)> ApplyOnceAsync(SchedulerDbContext db, Pending[] batch)
    {
        db.ChangeTracker.Clear();
        var ids = batch.Select(p => p.Request.JobId).Distinct().Order().ToArray();
        await using var transaction = await db.Database.BeginTransactionAsync();
        // Locked in id order, as every batch does, so two batches never wait for each other in a circle. SQLite has no
        // row locks; its transactions take the database's write lock at the start, which serializes writers just as well.
        // (The lock by its own statement: EF Core cannot materialize the job's optional complex result from FromSql.)
        // In the same round trip, every replica's JobWatchFeed is told which jobs change: a notification sent in the
        // transaction is delivered when (and only if) it commits; one for a change that turns out to change nothing costs a
        // watching replica one read that finds nothing new. Ids in groups, below NOTIFY's 8,000-byte payload limit.
        if (db.Database.IsNpgsql())
        {
            var sql = new StringBuilder("SELECT 1 FROM training_jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE;");
            List<object> parameters = [new NpgsqlParameter("ids", ids)];
            var backend = ((NpgsqlConnection)db.Database.GetDbConnection()).ProcessID;
            foreach (var (chunk, i) in ids.Chunk(100).Select((chunk, i) => (chunk, i)))
            {
                var payload = string.Join(',', chunk);
                sql.Append(CultureInfo.InvariantCulture, $" SELECT pg_notify('{JobWatchFeed.NotifyChannel}', @changed{i});");
                parameters.Add(new NpgsqlParameter($"changed{i}", payload));
                watchers.Notifying(backend, payload);
            }
            await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters);
        }
        var jobs = await db.TrainingJobs.Where(j => ids.Contains(j.Id)).ToDictionaryAsync(j => j.Id);

        var results = new JobChange[batch.Length];
        var changed = false;
        for (var i = 0; i < batch.Length; i++)
        {
            if (!jobs.TryGetValue(batch[i].Request.JobId, out var job))
            {
                results[i] = JobChange.UnknownJob;
                continue;
            }
            results[i] = Apply(job, batch[i].Request.Change);
            changed |= results[i].Changed;
        }
        List<(TrainingJob, List<JobEvent>)> committed = [];
        if (changed)
        {
            await db.SaveChangesAsync();
            committed = [.. db.ChangeTracker.Entries<JobEvent>().Select(e => e.Entity).GroupBy(e => e.JobId)
                .Select(g => (jobs[g.Key], g.OrderBy(e => e.Sequence).ToList()))];
        }
        await transaction.CommitAsync();
        return (results, committed);
    }

    private static JobChange Apply(TrainingJob job, Func<TrainingJob, bool> change)
    {
        var (state, attempt, heldSlot, sequence) = (job.State, job.Attempt, job.HoldsSlot, job.LastSequence);
        bool changed;
        try
        {
            changed = change(job);
        }
        catch (Exception ex)
        {
            throw new ChangeFailedException(job.Id, ex);
        }
        if (!changed) return new JobChange(job, false, false, null, null);
        // Built now, from the event this change appended: a later change of the same job in the batch appends its own.
        var jobEvent = job.LastSequence > sequence ? job.NewestEvent : null;
        var stateChanged = state != job.State || attempt != job.Attempt
            ? new TrainingJobStateChanged(job.Id, job.TenantId, job.Attempt, job.State.ToString(), jobEvent?.Message ?? "", jobEvent?.At ?? DateTimeOffset.MinValue)
            : null;
        // A dispatched attempt cancelled or timed out: its worker is told at once (the heartbeat answer repeats it).
        var stop = heldSlot && job.State is JobState.Cancelled or JobState.TimedOut
            ? new AttemptToStop(job.Id, attempt, job.State == JobState.Cancelled ? "cancelled" : "timed_out")
            : null;
        return new JobChange(job, true, heldSlot && !job.HoldsSlot, stateChanged, stop);
    }

    /// <summary>A change waiting for its commit: the job and what to do to it.</summary>
    public sealed record ChangeRequest(Guid JobId, Func<TrainingJob, bool> Change);

    /// <summary>A change threw: the batch is applied again without it (see <see cref="CommitAsync"/>).</summary>
    private sealed class ChangeFailedException(Guid jobId, Exception inner) : Exception($"Changing job {jobId} failed: {inner.Message}", inner);
}

/// <summary>
/// What one change did: the job as committed (null for an unknown job), whether the change applied, whether it freed the
/// slot the attempt held, the <see cref="TrainingJobStateChanged"/> to publish when it moved the state or the attempt, and
/// the <see cref="AttemptToStop"/> to publish when it ended a dispatched attempt.
/// </summary>
public sealed record JobChange(TrainingJob? Job, bool Changed, bool FreedSlot, TrainingJobStateChanged? StateChanged, AttemptToStop? Stop)
{
    public static JobChange UnknownJob { get; } = new(null, false, false, null, null);
}
