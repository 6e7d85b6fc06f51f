using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Serving.Data;
using Platform.Serving.Scoring;

namespace Platform.Serving.Logging;

/// <summary>
/// Writes the prediction log off the request path: takes what <see cref="PredictionLog"/> queued, turns each predicted
/// row into a <see cref="LoggedPrediction"/> (inputs as JSON without the sensitive columns, the answer as JSON) and
/// writes up to <c>Serving:PredictionLog:BatchSize</c> rows per round trip. A batch the database refuses is tried three
/// times, then dropped and counted; the service keeps serving either way. On shutdown what is queued is written first
/// (for up to the host's shutdown timeout).
/// </summary>
internal sealed class PredictionLogWriter(
    PredictionLog log, IServiceScopeFactory scopes, IOptions<ServingOptions> options, TimeProvider time, ILogger<PredictionLogWriter> logger)
    : BackgroundService
{
    /// <summary>How long a batch smaller than <c>BatchSize</c> waits for more rows before it is written.</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(200);

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await log.Items.WaitToReadAsync(stoppingToken))
            {
                // Without the wait, requests arriving one at a time cost a transaction each: CPU taken from the
                // requests themselves on the same cores.
                if (log.QueuedRows < options.Value.PredictionLog.BatchSize)
                    await Task.Delay(Linger, time, stoppingToken);
                await WriteBatchAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: write what is left.
            while (log.Items.TryPeek(out _))
                await WriteBatchAsync(CancellationToken.None);
        }
    }

    /// <summary>Writes one batch of whatever is queued now; returns the number of rows taken.</summary>
    internal async Task<int> WriteBatchAsync(CancellationToken cancellationToken)
    {
        var predictions = new List<LoggedPrediction>();
        var outcomes = new List<PredictionOutcome>();
        var taken = 0;
        while (taken < options.Value.PredictionLog.BatchSize && log.Items.TryRead(out var item))
        {
            taken += item.Rows;
            if (item is OutcomeItem outcome) outcomes.Add(outcome.Outcome);
            else if (item is PredictedItem predicted) predictions.AddRange(Rows(predicted));
        }
        if (taken == 0) return 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
                db.Predictions.AddRange(predictions);
                db.Outcomes.AddRange(outcomes);
                await db.SaveChangesAsync(cancellationToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (attempt >= 3)
                {
                    logger.LogError(ex, "Could not write {Rows} rows of the prediction log; they are dropped", taken);
                    PredictionLog.Lost(taken);
                    break;
                }
                logger.LogWarning("Writing the prediction log failed ({Reason}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
        log.Taken(taken);
        return taken;
    }

    private static IEnumerable<LoggedPrediction> Rows(PredictedItem item)
    {
        var identity = item.Version.Identity;
        var inputs = item.Version.Model.Inputs.Read;
        var sensitive = inputs.Where(c => item.Version.SensitiveColumns.Contains(c.Name)).Select(c => c.Name).ToList();
        for (var row = 0; row < item.Response.Predictions.Count; row++)
        {
            var prediction = item.Response.Predictions[row];
            yield return new LoggedPrediction
            {
                Id = Guid.CreateVersion7(item.At),
                TenantId = item.Tenant,
                RequestId = item.Response.RequestId,
                RowIndex = row,
                ModelName = identity.ModelName,
                Version = identity.Version,
                VersionId = identity.VersionId,
                Reference = item.Reference,
                PredictedAt = item.At,
                Inputs = InputsJson(item.Request.Rows[row], inputs, item.Version.SensitiveColumns),
                OmittedColumns = string.Join(' ', sensitive),
                PredictedLabel = prediction.Label.Length > 0 ? prediction.Label : null,
                PredictedValue = prediction.HasValue ? prediction.Value
                    : prediction.HasCluster ? prediction.Cluster
                    : prediction.HasProbability ? prediction.Probability
                    : prediction.HasScore ? prediction.Score
                    : null,
                Prediction = Json.Format(prediction),
            };
        }
    }

    /// <summary>The columns the model read, as given (null for missing), without the sensitive ones.</summary>
    private static string InputsJson(Struct row, IReadOnlyList<InputColumn> columns, IReadOnlySet<string> sensitive)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var column in columns)
            {
                if (sensitive.Contains(column.Name) || !row.Fields.TryGetValue(column.Name, out var value)) continue;
                switch (value.KindCase)
                {
                    case Value.KindOneofCase.NumberValue when double.IsFinite(value.NumberValue):
                        json.WriteNumber(column.Name, value.NumberValue);
                        break;
                    case Value.KindOneofCase.StringValue:
                        json.WriteString(column.Name, value.StringValue);
                        break;
                    case Value.KindOneofCase.BoolValue:
                        json.WriteBoolean(column.Name, value.BoolValue);
                        break;
                    default:
                        json.WriteNull(column.Name);
                        break;
                }
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>
/// Deletes prediction log rows and outcomes older than <c>Serving:PredictionLog:RetentionDays</c>, once an hour (and at
/// start-up), in batches so that no delete holds the tables for long.
/// </summary>
internal sealed class PredictionLogRetention(
    IServiceScopeFactory scopes, IOptions<ServingOptions> options, TimeProvider time, ILogger<PredictionLogRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The prediction log's retention sweep failed ({Reason}); next try in an hour", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes what is past retention; returns the rows deleted.</summary>
    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().AddDays(-options.Value.PredictionLog.RetentionDays);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
        var deleted = 0;
        int batch;
        do
        {
            var ids = await db.Predictions.Where(p => p.PredictedAt < cutoff).OrderBy(p => p.PredictedAt).Select(p => p.Id).Take(10_000)
                .ToListAsync(cancellationToken);
            batch = ids.Count == 0 ? 0 : await db.Predictions.Where(p => ids.Contains(p.Id)).ExecuteDeleteAsync(cancellationToken);
            deleted += batch;
        }
        while (batch > 0);
        deleted += await db.Outcomes.Where(o => o.ReportedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
            logger.LogInformation("Prediction log retention: deleted {Rows} rows older than {Days} days", deleted,
                options.Value.PredictionLog.RetentionDays.ToString(CultureInfo.InvariantCulture));
        return deleted;
    }
}
