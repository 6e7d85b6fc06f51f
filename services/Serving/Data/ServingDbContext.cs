using Microsoft.EntityFrameworkCore;
using Platform.ServiceDefaults.Persistence;

namespace Platform.Serving.Data;

/// <summary>
/// The serving service's own database (<c>ConnectionStrings:Serving</c>): the prediction log and the outcomes reported
/// for it. PostgreSQL in a cluster (migrations in Data/Migrations, applied by <c>Platform.Serving.dll migrate</c>),
/// SQLite in standalone. What each row holds, and how drift and live quality are computed from it: docs/serving.md.
/// </summary>
public sealed class ServingDbContext(DbContextOptions<ServingDbContext> options) : DbContext(options)
{
    public DbSet<LoggedPrediction> Predictions => Set<LoggedPrediction>();
    public DbSet<PredictionOutcome> Outcomes => Set<PredictionOutcome>();
    public DbSet<DriftAlert> DriftAlerts => Set<DriftAlert>();
    public DbSet<ServingOutboxMessage> OutboxMessages => Set<ServingOutboxMessage>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.StoreTimesAsUtc();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ServingDbContext).Assembly);
        modelBuilder.UseSnakeCaseNames();
    }
}

/// <summary>
/// One predicted row of a logged request (table <c>prediction_log</c>): which version answered, when, what it was given
/// and what it answered. Rows of one request share <see cref="RequestId"/> and differ in <see cref="RowIndex"/>.
/// </summary>
public sealed class LoggedPrediction
{
    /// <summary>A version-7 UUID: time-ordered.</summary>
    public required Guid Id { get; init; }
    public required string TenantId { get; init; }
    public required string RequestId { get; init; }
    /// <summary>The row's position in its request, from 0 (what ReportOutcome names).</summary>
    public required int RowIndex { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    public required Guid VersionId { get; init; }
    /// <summary>The reference the caller used: <c>penguins@production</c>, <c>penguins:3</c>, <c>penguins</c>.</summary>
    public required string Reference { get; init; }
    public required DateTimeOffset PredictedAt { get; init; }
    /// <summary>
    /// The row as given, a JSON object of the columns the model reads (column name → number, string or null), without
    /// the columns that are sensitive (<c>ISensitiveColumns</c>): those are listed in <see cref="OmittedColumns"/>.
    /// </summary>
    public required string Inputs { get; init; }
    /// <summary>Space-separated names of the input columns left out as sensitive; empty when none.</summary>
    public required string OmittedColumns { get; init; }
    /// <summary>Classification: the predicted class; null otherwise.</summary>
    public string? PredictedLabel { get; init; }
    /// <summary>Regression: the predicted value; clustering: the cluster; binary: the probability (or score) of the positive class; null otherwise.</summary>
    public double? PredictedValue { get; init; }
    /// <summary>The whole answer for the row: the <c>Prediction</c> message in its JSON form (docs/serving.md).</summary>
    public required string Prediction { get; init; }
}

/// <summary>The true outcome of a predicted row, as reported (table <c>prediction_outcomes</c>).</summary>
public sealed class PredictionOutcome
{
    public required Guid Id { get; init; }
    public required string TenantId { get; init; }
    public required string RequestId { get; init; }
    public required int RowIndex { get; init; }
    /// <summary>Classification: the true class.</summary>
    public string? Label { get; init; }
    /// <summary>Regression: the true value.</summary>
    public double? Value { get; init; }
    public required DateTimeOffset ReportedAt { get; init; }
    /// <summary>How it came: <c>grpc</c> (ReportOutcome) or <c>amqp</c> (the ReportPredictionOutcome message).</summary>
    public required string Source { get; init; }
}

/// <summary>
/// Whether a served version is in significant drift now (table <c>drift_alerts</c>): the background drift check raises
/// <c>ModelDriftDetected</c> when this turns true, so an event goes out once per crossing, not every interval, whichever
/// replica checks.
/// </summary>
public sealed class DriftAlert
{
    public required string TenantId { get; init; }
    public required Guid VersionId { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    public bool Drifting { get; set; }
    /// <summary>When <see cref="Drifting"/> last changed.</summary>
    public DateTimeOffset ChangedAt { get; set; }
}

/// <summary>
/// An event waiting to be published (table <c>outbox_messages</c>): written in the same transaction as the change it
/// reports (a <see cref="DriftAlert"/> turning on), published by <c>ServingOutboxPublisher</c> after the commit.
/// </summary>
public sealed class ServingOutboxMessage
{
    /// <summary>Assigned by the database: the order events are published in.</summary>
    public long Sequence { get; set; }
    /// <summary>The bus message id, the same on every redelivery.</summary>
    public required Guid MessageId { get; init; }
    public required string TenantId { get; init; }
    /// <summary>The contract's type name in Platform.Contracts.</summary>
    public required string MessageType { get; init; }
    public required string Payload { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LastError { get; set; }
}
