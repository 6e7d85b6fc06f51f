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
