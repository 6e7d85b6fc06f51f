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

/// <summary>
/// A served model version's inputs (or predictions) have drifted significantly from its training data: published by
/// the serving service's background drift check (docs/monitoring.md) through its outbox, once when a version's latest
/// window crosses <c>Serving:Monitoring:PsiSignificant</c>, and again only after it has been below the threshold in
/// between. The bus message id is the outbox row's, the same on every redelivery. Typical use: submit a re-training
/// job on fresher data (docs/monitoring.md has a consumer that does).
/// </summary>
public sealed record ModelDriftDetected
{
    public required string TenantId { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    public required Guid VersionId { get; init; }
    /// <summary>The data set the version was trained on (the reference); null for an uploaded model.</summary>
    public string? DatasetId { get; init; }
    /// <summary>The version's label column, for a re-training job.</summary>
    public string? LabelColumn { get; init; }
    /// <summary>The window measured.</summary>
    public required DateTimeOffset WindowStart { get; init; }
    public required DateTimeOffset WindowEnd { get; init; }
    /// <summary>Logged predicted rows in the window.</summary>
    public required long Rows { get; init; }
    /// <summary>The PSI threshold crossed.</summary>
    public required double Threshold { get; init; }
    /// <summary>Every column (and <c>prediction</c>) at or above the threshold, with its PSI, largest first.</summary>
    public required IReadOnlyList<DriftedColumn> Columns { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>One column's drift in a <see cref="ModelDriftDetected"/>.</summary>
public sealed record DriftedColumn(string Column, double Psi);
