using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Models.V1;
using Platform.Serving.Data;
using Platform.Serving.Models;
using Platform.Serving.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Monitoring;

/// <summary>
/// Monitoring of served versions (docs/monitoring.md): reads a version's logged predictions and reported outcomes from
/// the serving database window by window, and measures them against the training data's profile, which it gets from the
/// model store once per version (a profile never changes). Used by <c>GetModelMonitoring</c> and the background
/// <see cref="DriftCheck"/>.
/// </summary>
internal sealed class ModelMonitor(ModelStoreSource store, IServiceScopeFactory scopes, IOptions<ServingOptions> options, TimeProvider time)
{
    /// <summary>The most windows one answer holds.</summary>
    public const int MaxWindows = 168;

    /// <summary>The longest window, in minutes (a week).</summary>
    public const int MaxWindowMinutes = 7 * 24 * 60;

    private const int DefaultWindows = 24;

    private readonly ConcurrentDictionary<(string Tenant, string VersionId), Task<MonitoringReference>> _references = new();

    private MonitoringOptions Options => options.Value.Monitoring;

    /// <summary>The monitoring of the version <paramref name="request"/>'s reference names now, for <paramref name="tenant"/>.</summary>
    /// <exception cref="InvalidArgumentException">The window or the number of windows is out of range (the field is named).</exception>
    /// <exception cref="NotFoundException">No such model, version or alias for the tenant.</exception>
    public async Task<ModelMonitoring> GetAsync(string tenant, GetModelMonitoringRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.WindowMinutes is < 0 or > MaxWindowMinutes)
            throw new InvalidArgumentException("window_minutes", string.Create(CultureInfo.InvariantCulture, $"must be 1 to {MaxWindowMinutes} (0 for the default)"));
        if (request.Windows is < 0 or > MaxWindows)
            throw new InvalidArgumentException("windows", string.Create(CultureInfo.InvariantCulture, $"must be 1 to {MaxWindows} (0 for {DefaultWindows})"));
        if (string.IsNullOrWhiteSpace(request.Model)) throw new InvalidArgumentException("model", "is required");
        var version = await store.ResolveAsync(tenant, request.Model, cancellationToken);
        var reference = await ReferenceAsync(tenant, version, cancellationToken);
        var length = TimeSpan.FromMinutes(request.WindowMinutes > 0 ? request.WindowMinutes : Options.WindowMinutes);
        var count = request.Windows > 0 ? request.Windows : DefaultWindows;
        var end = time.GetUtcNow();

        var answer = new ModelMonitoring
        {
            ModelName = version.ModelName, Version = version.Version, VersionId = version.Id, Task = version.Task, DatasetId = version.DatasetId,
            Thresholds = new DriftThresholds { PsiModerate = Options.PsiModerate, PsiSignificant = Options.PsiSignificant, MinRows = Options.MinRows },
        };
        answer.EvaluationMetrics.Add(version.Metrics);
        answer.Notes.AddRange(reference.Notes);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
        for (var i = count - 1; i >= 0; i--)
        {
            var windowEnd = end - length * i;
            answer.Windows.Add(await WindowAsync(db, tenant, version, reference, windowEnd - length, windowEnd, cancellationToken));
        }
        if (request.IncludeChart) answer.DriftChartPng = Google.Protobuf.ByteString.CopyFrom(DriftChart.Draw(answer));
        return answer;
    }

    /// <summary>The latest window (<c>Serving:Monitoring:WindowMinutes</c> up to now) of a served version, and the version's record.</summary>
    public async Task<(ModelVersion Version, MonitoringWindow Window)> LatestWindowAsync(VersionIdentity served, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(served);
        var version = await store.ResolveAsync(served.Tenant, $"{served.ModelName}:{served.Version}", cancellationToken);
        var reference = await ReferenceAsync(served.Tenant, version, cancellationToken);
        var end = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
        return (version, await WindowAsync(db, served.Tenant, version, reference, end - TimeSpan.FromMinutes(Options.WindowMinutes), end, cancellationToken));
    }

    private async Task<MonitoringWindow> WindowAsync(ServingDbContext db, string tenant, ModelVersion version, MonitoringReference reference,
        DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        // By model name and version number: the log's index (tenant, model, version, time) serves this range.
        var logged = db.Predictions.AsNoTracking()
            .Where(p => p.TenantId == tenant && p.ModelName == version.ModelName && p.Version == version.Version
                        && p.PredictedAt >= start && p.PredictedAt < end)
            .OrderByDescending(p => p.PredictedAt)
            .Take(Options.MaxRowsPerWindow);
        var rows = await logged.Select(p => new LoggedRow(p.Inputs, p.PredictedLabel, p.PredictedValue)).ToListAsync(cancellationToken);
        var reported = await (
                from p in logged
                join o in db.Outcomes on new { p.TenantId, p.RequestId, p.RowIndex } equals new { o.TenantId, o.RequestId, o.RowIndex }
                select new { p.RequestId, p.RowIndex, o.ReportedAt, Row = new ReportedRow(p.PredictedLabel, p.PredictedValue, o.Label, o.Value) })
            .ToListAsync(cancellationToken);
        // An outcome reported twice for a row counts once: the latest report wins.
        var outcomes = reported.GroupBy(r => (r.RequestId, r.RowIndex)).Select(g => g.MaxBy(r => r.ReportedAt)!.Row).ToList();
        return reference.Measure(start, end, rows, outcomes, Options);
    }

    private Task<MonitoringReference> ReferenceAsync(string tenant, ModelVersion version, CancellationToken cancellationToken)
    {
        var key = (tenant, version.Id);
        var task = _references.GetOrAdd(key, _ => LoadReferenceAsync(tenant, version, cancellationToken));
        // A failed load (the store did not answer) is not remembered: the next call tries again.
        if (task.IsFaulted || task.IsCanceled) _references.TryRemove(KeyValuePair.Create(key, task));
        return task;
    }

    private async Task<MonitoringReference> LoadReferenceAsync(string tenant, ModelVersion version, CancellationToken cancellationToken)
    {
        var profile = string.IsNullOrEmpty(version.DatasetId) ? null
            : await store.ProfileAsync(tenant, version.DatasetId, version.LabelColumn, cancellationToken);
        return MonitoringReference.From(version, profile);
    }
}
