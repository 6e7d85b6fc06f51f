using System.Globalization;
using Platform.Serving.Data;
using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Logging;

/// <summary>
/// A reported outcome checked and made a row: one per predicted row (request id and row), a class or a value, never
/// both. The row is stored whether or not its prediction was sampled into the log (the join is the monitor's work).
/// </summary>
internal static class Outcomes
{
    /// <summary>Longest request id (the client's own ids included).</summary>
    public const int MaxRequestIdLength = 100;

    /// <exception cref="InvalidArgumentException">The request id, row, label or value is not usable (the field is named).</exception>
    public static PredictionOutcome Check(string tenant, string? requestId, int row, string? label, double? value, string source, TimeProvider time)
    {
        CheckRequestId(requestId, "request_id");
        if (row < 0) throw new InvalidArgumentException("row", "must not be negative");
        var hasLabel = !string.IsNullOrEmpty(label);
        if (hasLabel == value.HasValue)
            throw new InvalidArgumentException(hasLabel ? "value" : "label", "give the true label (classification) or the true value (regression): exactly one");
        if (hasLabel && label!.Length > 1000) throw new InvalidArgumentException("label", "is longer than 1000 characters");
        if (value is { } number && !double.IsFinite(number)) throw new InvalidArgumentException("value", "must be a finite number");
        var now = time.GetUtcNow();
        return new PredictionOutcome
        {
            Id = Guid.CreateVersion7(now), TenantId = tenant, RequestId = requestId!, RowIndex = row,
            Label = hasLabel ? label : null, Value = value, ReportedAt = now, Source = source,
        };
    }

    /// <summary>A request id: 1-100 printable characters.</summary>
    public static void CheckRequestId(string? requestId, string field)
    {
        if (string.IsNullOrEmpty(requestId)) throw new InvalidArgumentException(field, "is required");
        if (requestId.Length > MaxRequestIdLength || requestId.Any(char.IsControl))
            throw new InvalidArgumentException(field,
                string.Create(CultureInfo.InvariantCulture, $"must be 1-{MaxRequestIdLength} printable characters"));
    }
}
