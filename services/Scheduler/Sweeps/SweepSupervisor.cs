using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// Advances every sweep that has not ended (<see cref="SweepProgress"/>) every <see cref="SweepOptions.PassInterval"/>,
/// or at once when <see cref="SweepSignal"/> wakes it. Safe with several scheduler replicas: each step is guarded by the
/// sweep's version.
/// </summary>
public sealed class SweepSupervisor(
    IServiceScopeFactory scopes,
    SweepSignal signal,
    IOptions<SweepOptions> options,
    ILogger<SweepSupervisor> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await AdvanceAllAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be unreachable (or the schema not created yet); try again soon.
                logger.LogWarning(ex, "Sweep pass failed");
            }
            await signal.WaitAsync(options.Value.PassInterval, stoppingToken);
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
        var progress = scope.ServiceProvider.GetRequiredService<SweepProgress>();
        var changed = 0;
        foreach (var id in ids)
        {
            if (await progress.AdvanceAsync(id, cancellationToken)) changed++;
        }
        return changed;
    }
}
