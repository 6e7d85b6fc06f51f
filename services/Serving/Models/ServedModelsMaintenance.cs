using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Platform.Serving.Models;

/// <summary>
/// Loads <c>Serving:Preload</c> at start-up (the replica is ready once they are), then checks the moving references
/// against the registry every <c>Serving:ReferenceRefreshSeconds</c>, the backstop for registry events it missed.
/// </summary>
internal sealed class ServedModelsMaintenance(
    ServedModels models, IOptions<ServingOptions> options, TimeProvider time, ILogger<ServedModelsMaintenance> logger) : BackgroundService
{
    private readonly TaskCompletionSource _preloaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether every preload has been tried.</summary>
    public bool Preloaded => _preloaded.Task.IsCompleted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var preload in options.Value.Preload)
        {
            var slash = preload.IndexOf('/', StringComparison.Ordinal);
            var (tenant, reference) = slash > 0 ? (preload[..slash], preload[(slash + 1)..]) : (ServiceDefaults.Tenancy.Tenant.Default, preload);
            try
            {
                await models.GetAsync(tenant, reference, stoppingToken);
            }
            catch (Exception ex) when (ex is ServiceDefaults.Errors.PlatformException)
            {
                logger.LogError("Serving:Preload {Tenant}/{Reference} could not be loaded: {Reason}", tenant, reference, ex.Message);
            }
        }
        _preloaded.TrySetResult();
        var interval = options.Value.ReferenceRefreshSeconds;
        if (interval == 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await models.RefreshMovingAsync(stoppingToken);
    }
}

/// <summary>
/// Readiness: ready once the preloads were tried; the report lists every loaded version with the references that name
/// it, and any alias move a reference could not follow (its new version failed to load).
/// </summary>
internal sealed class ServedModelsHealthCheck(ServedModels models, ServedModelsMaintenance maintenance) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = models.Report();
        var data = report.ToDictionary(
            model => $"{model.Identity.Tenant}/{model.Identity}",
            model => (object)new Dictionary<string, object>
            {
                ["version_id"] = model.Identity.VersionId.ToString(),
                ["size_bytes"] = model.SizeBytes,
                ["references"] = model.References,
                ["problems"] = model.Problems,
            });
        var description = $"{report.Count} model version(s) loaded";
        if (!maintenance.Preloaded) return Task.FromResult(HealthCheckResult.Unhealthy("loading Serving:Preload", data: data));
        return Task.FromResult(report.Any(m => m.Problems.Count > 0)
            ? HealthCheckResult.Degraded(description + "; some references could not follow their alias", data: data)
            : HealthCheckResult.Healthy(description, data));
    }
}
