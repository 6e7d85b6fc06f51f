using Microsoft.Extensions.Options;

namespace Platform.ModelStore.Maintenance;

/// <summary>Runs <see cref="StoreMaintenance"/> every <see cref="MaintenanceOptions.Interval"/> (when enabled).</summary>
public sealed class MaintenanceService(
    IServiceScopeFactory scopes, IOptions<ModelStoreOptions> options, TimeProvider time, ILogger<MaintenanceService> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Maintenance;
        if (!settings.Enabled) return;
        using var timer = new PeriodicTimer(settings.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<StoreMaintenance>().RunAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be unreachable for a moment; the next pass tries again.
                logger.LogWarning(ex, "Registry maintenance failed; retrying at the next interval");
            }
        }
    }
}
