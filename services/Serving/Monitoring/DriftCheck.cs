using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.ServiceDefaults.Messaging;
using Platform.Serving.Data;
using Platform.Serving.Messaging;
using Platform.Serving.Models;
using Platform.Serving.V1;

namespace Platform.Serving.Monitoring;

/// <summary>
/// The background drift check: every <c>Serving:Monitoring:CheckIntervalSeconds</c> it measures the latest window of
/// every version this replica has loaded and, when one's level turns significant, raises <see cref="ModelDriftDetected"/>
/// once: the version's <see cref="DriftAlert"/> row turns on and the event row is written in the same transaction
/// (the outbox), so the event goes out exactly when the state changes, whichever replica saw it first. A window back
/// below the threshold (stable or moderate, with enough rows) turns the alert off and re-arms it. Metrics:
/// <c>platform.serving.drift.detected</c> (crossings) and <c>platform.serving.drift.max_psi</c> (per version, latest check).
/// </summary>
internal sealed class DriftCheck(
    ServedModels models, ModelMonitor monitor, IServiceScopeFactory scopes, OutboxSignal<ServingDbContext> signal, IOptions<ServingOptions> options,
    TimeProvider time, ILogger<DriftCheck> logger) : BackgroundService
{
    private static readonly Meter Meter = new("Platform.Serving");
    private static readonly Counter<long> Detected = Meter.CreateCounter<long>("platform.serving.drift.detected",
        description: "Times a served version's drift crossed Serving:Monitoring:PsiSignificant");
    private readonly Dictionary<VersionIdentity, double> _maxPsi = [];
    private readonly Lock _gate = new();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.Monitoring.CheckIntervalSeconds;
        if (seconds == 0) return;
        Meter.CreateObservableGauge("platform.serving.drift.max_psi", Observe, description: "Largest PSI of a loaded version's features and prediction in its latest window");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAllAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "The drift check failed; next try in {Seconds} s", seconds);
            }
        }
    }

    /// <summary>Checks every loaded version once.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        foreach (var loaded in models.Report())
        {
            try
            {
                var (version, window) = await monitor.LatestWindowAsync(loaded.Identity, cancellationToken);
                await RecordAsync(loaded.Identity, version, window, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Drift check of {Tenant}/{Model} failed", loaded.Identity.Tenant, loaded.Identity);
            }
        }
    }

    /// <summary>Turns the version's alert on (with its event) or off, as the window's level says; unknown changes nothing.</summary>
    internal async Task RecordAsync(VersionIdentity version, ModelVersion record, MonitoringWindow window, CancellationToken cancellationToken)
    {
        var judged = window.Features.Append(window.Prediction).OfType<FeatureDrift>().Where(f => f.HasPsi).ToList();
        lock (_gate) _maxPsi[version] = judged.Count == 0 ? 0 : judged.Max(f => f.Psi);
        if (window.Level == MonitoringReference.Level(DriftLevel.Unknown)) return;
        var drifting = window.Level == MonitoringReference.Level(DriftLevel.Significant);

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
        var strategy = db.Database.CreateExecutionStrategy();
        var raised = await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow();
            if (!await db.DriftAlerts.AnyAsync(a => a.TenantId == version.Tenant && a.VersionId == version.VersionId, ct))
            {
                db.DriftAlerts.Add(new DriftAlert
                {
                    TenantId = version.Tenant, VersionId = version.VersionId, ModelName = version.ModelName, Version = version.Version, ChangedAt = now,
                });
                await db.SaveChangesAsync(ct);
            }
            // The state changes by a conditional update: of two replicas checking at once, one changes it (PostgreSQL
            // re-reads the row after the other's commit), so one event per crossing.
            var changed = await db.DriftAlerts
                .Where(a => a.TenantId == version.Tenant && a.VersionId == version.VersionId && a.Drifting != drifting)
                .ExecuteUpdateAsync(set => set.SetProperty(a => a.Drifting, drifting).SetProperty(a => a.ChangedAt, now), ct);
            if (changed == 1 && drifting)
            {
                var message = Event(version, record, window, judged, now);
                db.OutboxMessages.Add(new ServingOutboxMessage
                {
                    MessageId = Guid.CreateVersion7(now), TenantId = version.Tenant, MessageType = nameof(ModelDriftDetected),
                    Payload = JsonSerializer.Serialize(message), CreatedAt = now, NextAttemptAt = now,
                });
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
            return changed == 1 && drifting;
        }, cancellationToken);
        if (!raised) return;
        Detected.Add(1, new KeyValuePair<string, object?>("model", version.ModelName));
        logger.LogWarning("Significant drift of {Tenant}/{Model}: {Columns}", version.Tenant, version,
            string.Join(", ", judged.Where(f => f.Level == "significant").Select(f => $"{f.Column} PSI {f.Psi:0.###}")));
        signal.Notify();
    }

    private ModelDriftDetected Event(VersionIdentity version, ModelVersion record, MonitoringWindow window, IReadOnlyList<FeatureDrift> judged, DateTimeOffset now)
    {
        var threshold = options.Value.Monitoring.PsiSignificant;
        return new ModelDriftDetected
        {
            TenantId = version.Tenant, ModelName = version.ModelName, Version = version.Version, VersionId = version.VersionId,
            DatasetId = string.IsNullOrEmpty(record.DatasetId) ? null : record.DatasetId,
            LabelColumn = string.IsNullOrEmpty(record.LabelColumn) ? null : record.LabelColumn,
            WindowStart = window.Start.ToDateTimeOffset(), WindowEnd = window.End.ToDateTimeOffset(), Rows = window.Rows, Threshold = threshold,
            Columns = [.. judged.Where(f => f.Psi >= threshold).OrderByDescending(f => f.Psi).Select(f => new DriftedColumn(f.Column, f.Psi))],
            At = now,
        };
    }

    private IEnumerable<Measurement<double>> Observe()
    {
        lock (_gate)
            return [.. _maxPsi.Select(pair => new Measurement<double>(pair.Value,
                new KeyValuePair<string, object?>("model", pair.Key.ModelName), new KeyValuePair<string, object?>("version", pair.Key.Version)))];
    }
}
