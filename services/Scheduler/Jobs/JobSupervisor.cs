using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// The scheduler's clock-driven work, every <see cref="SchedulerOptions.SweepInterval"/> or sooner when
/// <see cref="DispatchSignal"/> wakes it: gives up attempts whose lease expired (lost workers, commands nobody
/// took), times out attempts past their deadline, moves on the jobs whose folds run as jobs of their own
/// (<see cref="FoldProgress"/>), then runs the dispatch pass. Retry timers need nothing here:
/// the pass skips jobs whose <see cref="TrainingJob.NotBefore"/> is in the future. Every step is safe with
/// several replicas: transitions use the row's version token, the pass takes the dispatch lock.
/// </summary>
public sealed class JobSupervisor(
    IServiceScopeFactory scopes,
    DispatchSignal signal,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<JobSupervisor> logger) : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Leases and deadlines are clock-driven: once per sweep interval. A wake (a submission, a freed slot, a new
                // worker) only needs the dispatch pass, and under load wakes come hundreds of times a second.
                if (time.GetUtcNow() >= nextSweep)
                {
                    nextSweep = time.GetUtcNow() + options.Value.SweepInterval;
                    await SuperviseOnceAsync(stoppingToken);
                }
                else
                    await DispatchOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or the broker may be unreachable (or the schema not created yet); try again soon.
                logger.LogWarning(ex, "Supervisor pass failed");
            }
            await signal.WaitAsync(options.Value.SweepInterval, stoppingToken);
        }
    }

    /// <summary>One pass: expired leases, deadlines, parallel folds, then dispatch. Returns how many attempts were dispatched.</summary>
    public async Task<int> SuperviseOnceAsync(CancellationToken cancellationToken)
    {
        await ExpireLeasesAsync(cancellationToken);
        await EnforceDeadlinesAsync(cancellationToken);
        await AdvanceFoldsAsync(cancellationToken);
        return await DispatchOnceAsync(cancellationToken);
    }

    private async Task AdvanceFoldsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<FoldProgress>().AdvanceAllAsync(cancellationToken);
    }

    private async Task<int> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<JobDispatcher>().DispatchAsync(cancellationToken);
    }

    private async Task ExpireLeasesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var retry = options.Value.Retry;
        await ApplyToAsync(
            db => db.TrainingJobs.Where(j => (j.State == JobState.Running || (j.State == JobState.Queued && j.DispatchedAt != null))
                && j.LeaseExpiresAt != null && j.LeaseExpiresAt < now),
            "lease expired", job => job.LoseLease(now, retry), cancellationToken);
    }

    private async Task EnforceDeadlinesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await ApplyToAsync(
            db => db.TrainingJobs.Where(j => j.State == JobState.Running && j.CommitGrantedAt == null && j.DeadlineAt != null && j.DeadlineAt <= now),
            "deadline", job => job.TimeOut(now), cancellationToken);
    }

    private async Task ApplyToAsync(
        Func<SchedulerDbContext, IQueryable<TrainingJob>> select, string reason, Func<TrainingJob, bool> change, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var ids = await select(db).OrderBy(j => j.Id).Select(j => j.Id).Take(BatchSize).ToListAsync(cancellationToken);
        var tracker = scope.ServiceProvider.GetRequiredService<JobTracker>();
        foreach (var id in ids)
        {
            if (await tracker.ApplyAsync(id, reason, change, cancellationToken))
                logger.LogInformation("Job {JobId}: {Reason}", id, reason);
        }
    }
}
