using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// Re-publishes jobs that are still <see cref="JobState.Queued"/> without a dispatch confirmation
/// (<see cref="TrainingJob.DispatchedAt"/> null) <see cref="SchedulerOptions.RedispatchAfter"/> after they were
/// created: the publish right after the commit failed (broker down, process stopped in between).
/// <para>
/// This gives at-least-once dispatch without a transactional outbox. A worker may therefore see the same
/// attempt twice (the publish succeeded but recording it did not, or two scheduler replicas swept the same
/// job); that is safe because workers register a model version idempotently per job and the scheduler ignores
/// reports for an attempt that has already ended.
/// </para>
/// </summary>
public sealed class PendingDispatchSweep(
    IServiceScopeFactory scopes,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<PendingDispatchSweep> logger) : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DispatchSweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may not be reachable (or not created yet); the next tick tries again.
                logger.LogWarning(ex, "Pending-dispatch sweep failed");
            }
        }
    }

    /// <summary>Dispatches up to one batch of unconfirmed queued jobs; returns how many were published.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var dispatcher = scope.ServiceProvider.GetRequiredService<JobDispatcher>();

        var cutoff = time.GetUtcNow() - options.Value.RedispatchAfter;
        var pending = await db.TrainingJobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && j.DispatchedAt == null && j.CreatedAt <= cutoff)
            .OrderBy(j => j.CreatedAt)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);

        var published = 0;
        foreach (var job in pending)
        {
            if (!await dispatcher.TryDispatchAsync(job, cancellationToken)) break; // The bus is down; try next tick.
            logger.LogInformation("Re-dispatched job {JobId} attempt {Attempt}", job.Id, job.Attempt);
            published++;
        }
        return published;
    }
}
