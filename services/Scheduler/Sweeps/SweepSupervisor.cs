using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;
using Platform.Training.Catalogue;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// Advances every sweep that has not ended (<see cref="SweepProgress"/>) every <see cref="SweepOptions.PassInterval"/>,
/// and in between, at once, the sweeps <see cref="SweepSignal"/> names (a trial of theirs ended; every sweep when one was
/// submitted). The periodic pass catches what no wake announced here: trials that ended on another replica, cancelled
/// or timed out, a time budget running out. Safe with several scheduler replicas: each step is guarded by the sweep's
/// version.
/// </summary>
public sealed class SweepSupervisor(
    IServiceScopeFactory scopes,
    SweepSignal signal,
    IOptions<SweepOptions> options,
    TimeProvider time,
    ILogger<SweepSupervisor> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (TrainerCatalogue.OffersBenchmarkTrainers)
            logger.LogWarning("Scheduler:BenchmarkTrainers is on: this scheduler accepts and lists {Trainer}, which does no ML work; never in production",
                BenchmarkTrainers.Wait);
        var nextFullPass = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var woken = signal.Take();
                if (woken is null || time.GetTimestamp() >= nextFullPass)
                {
                    nextFullPass = time.GetTimestamp() + (long)(options.Value.PassInterval.TotalSeconds * time.TimestampFrequency);
                    await AdvanceAllAsync(stoppingToken);
                }
                else if (woken.Count > 0)
                    await AdvanceAsync(woken, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be unreachable (or the schema not created yet); try again soon.
                logger.LogWarning(ex, "Sweep pass failed");
            }
            var untilFullPass = time.GetElapsedTime(time.GetTimestamp(), nextFullPass);
            if (untilFullPass > TimeSpan.Zero) await signal.WaitAsync(untilFullPass, stoppingToken);
        }
    }

    /// <summary>One pass over the sweeps not yet ended; returns how many changed.</summary>
    public async Task<int> AdvanceAllAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var ids = await db.Sweeps.AsNoTracking()
            .Where(s => s.State == SweepState.Running || s.State == SweepState.Registering)
            .OrderBy(s => s.CreatedAt).Select(s => s.Id).Take(BatchSize).ToListAsync(cancellationToken);
        return await AdvanceAsync(ids, scope.ServiceProvider.GetRequiredService<SweepProgress>(), cancellationToken);
    }

    /// <summary>One step for each of <paramref name="sweepIds"/> (those that have ended are left alone); returns how many changed.</summary>
    public async Task<int> AdvanceAsync(IReadOnlyCollection<Guid> sweepIds, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await AdvanceAsync(sweepIds, scope.ServiceProvider.GetRequiredService<SweepProgress>(), cancellationToken);
    }

    private static async Task<int> AdvanceAsync(IEnumerable<Guid> sweepIds, SweepProgress progress, CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var id in sweepIds)
        {
            if (await progress.AdvanceAsync(id, cancellationToken)) changed++;
        }
        return changed;
    }
}
