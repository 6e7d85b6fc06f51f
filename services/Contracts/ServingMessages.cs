namespace Platform.Contracts;

/// <summary>
/// The true outcome of a served prediction, sent by a system that learns it later (a fraud team's verdict, a delivery
/// time): the bus form of <c>PredictionService.ReportOutcome</c>. The serving service stores it with the prediction log
/// (docs/serving.md). Publishing on the platform's bus is for trusted systems: the outcome is stored for the tenant the
/// message names, and matches only that tenant's predictions.
/// </summary>
public sealed record ReportPredictionOutcome
{
    public required string TenantId { get; init; }
    /// <summary>The request id a prediction's response carried.</summary>
    public required string RequestId { get; init; }
    /// <summary>The row's position in that request, from 0.</summary>
    public int Row { get; init; }
    /// <summary>Classification: the true class, in the label column's own values.</summary>
    public string? Label { get; init; }
    /// <summary>Regression: the true value.</summary>
    public double? Value { get; init; }
}
