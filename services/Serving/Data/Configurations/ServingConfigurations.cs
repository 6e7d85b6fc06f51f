using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Platform.Serving.Data.Configurations;

internal sealed class LoggedPredictionConfiguration : IEntityTypeConfiguration<LoggedPrediction>
{
    public void Configure(EntityTypeBuilder<LoggedPrediction> builder)
    {
        builder.ToTable("prediction_log");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.Property(p => p.TenantId).HasMaxLength(63);
        builder.Property(p => p.RequestId).HasMaxLength(100);
        builder.Property(p => p.ModelName).HasMaxLength(200);
        builder.Property(p => p.Reference).HasMaxLength(300);
        builder.Property(p => p.OmittedColumns).HasMaxLength(4000);
        builder.Property(p => p.PredictedLabel).HasMaxLength(1000);
        // Monitoring: one version's rows in a time window.
        builder.HasIndex(p => new { p.TenantId, p.ModelName, p.Version, p.PredictedAt });
        // Outcomes are joined by request id and row.
        builder.HasIndex(p => new { p.TenantId, p.RequestId, p.RowIndex });
        // Retention deletes by age.
        builder.HasIndex(p => p.PredictedAt);
    }
}

internal sealed class PredictionOutcomeConfiguration : IEntityTypeConfiguration<PredictionOutcome>
{
    public void Configure(EntityTypeBuilder<PredictionOutcome> builder)
    {
        builder.ToTable("prediction_outcomes");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).ValueGeneratedNever();
        builder.Property(o => o.TenantId).HasMaxLength(63);
        builder.Property(o => o.RequestId).HasMaxLength(100);
        builder.Property(o => o.Label).HasMaxLength(1000);
        builder.Property(o => o.Source).HasMaxLength(16);
        builder.HasIndex(o => new { o.TenantId, o.RequestId, o.RowIndex });
        builder.HasIndex(o => o.ReportedAt);
    }
}

internal sealed class DriftAlertConfiguration : IEntityTypeConfiguration<DriftAlert>
{
    public void Configure(EntityTypeBuilder<DriftAlert> builder)
    {
        builder.ToTable("drift_alerts");
        builder.HasKey(a => new { a.TenantId, a.VersionId });
        builder.Property(a => a.TenantId).HasMaxLength(63);
        builder.Property(a => a.ModelName).HasMaxLength(200);
    }
}

internal sealed class ServingOutboxMessageConfiguration : IEntityTypeConfiguration<ServingOutboxMessage>
{
    public void Configure(EntityTypeBuilder<ServingOutboxMessage> builder)
    {
        builder.ToTable("outbox_messages");
        builder.HasKey(m => m.Sequence);
        builder.Property(m => m.Sequence).ValueGeneratedOnAdd();
        builder.Property(m => m.TenantId).HasMaxLength(63);
        builder.Property(m => m.MessageType).HasMaxLength(200);
        builder.Property(m => m.LastError).HasMaxLength(1000);
        builder.HasIndex(m => m.MessageId).IsUnique();
        // The publisher's scan: pending rows that are due, oldest first (partial, as the model store's outbox index).
        builder.HasIndex(m => new { m.NextAttemptAt, m.Sequence }).HasFilter("sent_at IS NULL");
    }
}
