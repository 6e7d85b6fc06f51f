using Microsoft.EntityFrameworkCore;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Group commit of new jobs (docs/scheduling.md): a validated job waits here while the previous commit runs, and the jobs
/// that gathered meanwhile are inserted with their first events in one transaction; each caller gets its job back only
/// after that commit. A request id appears once per tenant: a second job with a request id already in the group gets the
/// first one's job, and a request id already stored (a race with another submission or replica) makes the group fail on
/// the unique index, after which its jobs are stored one at a time, each duplicate answered with the stored job. Any other
/// row the database refuses fails alone the same way.
/// </summary>
public sealed class JobSubmissionQueue(IServiceScopeFactory scopes, ILogger<JobSubmissionQueue> logger)
    : GroupCommit<TrainingJob, StoredJob>
{
    /// <summary>Stores <paramref name="job"/> (not yet saved anywhere) with the next group commit.</summary>
    public Task<StoredJob> StoreAsync(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return EnqueueAsync(job);
    }

    /// <inheritdoc />
    protected override async Task CommitAsync(Pending[] batch)
    {
        // The first job of each request id is stored; a later one in the same group is answered with it.
        // Its first event, taken once: a group that fails is stored again job by job, each in a transaction of its own.
        var events = batch.ToDictionary(p => p.Request, p => p.Request.TakeUnsavedEvents());
        var firsts = new Dictionary<(string Tenant, string RequestId), Pending>();
        var unique = new List<Pending>(batch.Length);
        var repeats = new List<(Pending Repeat, Pending First)>();
        foreach (var pending in batch)
        {
            var job = pending.Request;
            if (job.RequestId is null || firsts.TryAdd((job.TenantId, job.RequestId), pending)) unique.Add(pending);
            else repeats.Add((pending, firsts[(job.TenantId, job.RequestId)]));
        }

        try
        {
            await InsertAsync(unique.Select(p => p.Request), events);
            foreach (var pending in unique) pending.Done.TrySetResult(new StoredJob(pending.Request, Created: true));
        }
        catch (DbUpdateException ex) when (unique.Count > 1)
        {
            logger.LogWarning(ex, "A group commit of {Count} new jobs failed; storing them one by one", unique.Count);
            foreach (var pending in unique) await StoreAloneAsync(pending, events);
        }
        catch (DbUpdateException) when (unique.Count == 1)
        {
            await StoreAloneAsync(unique[0], events);
        }
        catch (Exception ex)
        {
            // The database unreachable (after the execution strategy's retries): every caller fails, none is stored.
            foreach (var pending in unique) pending.Done.TrySetException(ex);
        }

        foreach (var (repeat, first) in repeats)
        {
            try
            {
                var stored = await first.Done.Task;
                repeat.Done.TrySetResult(stored with { Created = false });
            }
            catch (Exception ex)
            {
                repeat.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>One job in its own transaction; a request id already stored answers with the stored job.</summary>
    private async Task StoreAloneAsync(Pending pending, Dictionary<TrainingJob, IReadOnlyList<JobEvent>> events)
    {
        var job = pending.Request;
        try
        {
            await InsertAsync([job], events);
            pending.Done.TrySetResult(new StoredJob(job, Created: true));
        }
        catch (DbUpdateException ex) when (job.RequestId is not null)
        {
            try
            {
                // Lost a race with the same request id: the winner's job is the answer.
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
                var winner = await db.TrainingJobs.AsNoTracking()
                    .SingleOrDefaultAsync(j => j.TenantId == job.TenantId && j.RequestId == job.RequestId);
                if (winner is not null) pending.Done.TrySetResult(new StoredJob(winner, Created: false));
                else pending.Done.TrySetException(ex);
            }
            catch (Exception lookup)
            {
                pending.Done.TrySetException(lookup);
            }
        }
        catch (Exception ex)
        {
            pending.Done.TrySetException(ex);
        }
    }

    /// <summary>Inserts the jobs and their events in one transaction (one batch of statements).</summary>
    private async Task InsertAsync(IEnumerable<TrainingJob> jobs, Dictionary<TrainingJob, IReadOnlyList<JobEvent>> events)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        foreach (var job in jobs)
        {
            db.TrainingJobs.Add(job);
            // Fresh rows each time: a failed insert may have left database-generated ids on the previous ones.
            db.JobEvents.AddRange(events[job].Select(e => e.Unsaved()));
        }
        await db.SaveChangesAsync();
    }
}

/// <summary>A submitted job as committed, and whether this submission created it (false: its request id named an existing job).</summary>
public sealed record StoredJob(TrainingJob Job, bool Created);
