using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class ModelVersionTagConfiguration : IEntityTypeConfiguration<ModelVersionTagRecord>
{
    public void Configure(EntityTypeBuilder<ModelVersionTagRecord> builder)
    {
        builder.ToTable("model_version_tags");
        builder.HasKey(t => new { t.ModelVersionId, t.Key });
        builder.Property(t => t.TenantId).HasMaxLength(63);
        builder.Property(t => t.Key).HasMaxLength(Tags.MaxKeyLength);
        builder.Property(t => t.Value).HasMaxLength(Tags.MaxValueLength);
        builder.HasIndex(t => new { t.TenantId, t.Key, t.Value });
    }
}

internal sealed class ModelVersionMetricConfiguration : IEntityTypeConfiguration<ModelVersionMetricRecord>
{
    public void Configure(EntityTypeBuilder<ModelVersionMetricRecord> builder)
    {
        builder.ToTable("model_version_metrics");
        builder.HasKey(m => new { m.ModelVersionId, m.Name });
        builder.Property(m => m.TenantId).HasMaxLength(63);
        builder.Property(m => m.Name).HasMaxLength(ModelVersionRegistration.MaxShortTextLength);
        builder.HasIndex(m => new { m.TenantId, m.Name, m.Value });
    }
}

internal sealed class ModelAliasConfiguration : IEntityTypeConfiguration<ModelAliasRecord>
{
    public void Configure(EntityTypeBuilder<ModelAliasRecord> builder)
    {
        builder.ToTable("model_aliases");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).ValueGeneratedNever();
        builder.Property(a => a.TenantId).HasMaxLength(63);
        builder.Property(a => a.Name).HasMaxLength(AliasNames.MaxLength);
        builder.Property(a => a.SetBy).HasMaxLength(Actors.MaxLength);
        // One version per alias name within a model; resolving name@alias reads this index.
        builder.HasIndex(a => new { a.ModelId, a.Name }).IsUnique();
    }
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessageRecord>
{
    public void Configure(EntityTypeBuilder<OutboxMessageRecord> builder)
    {
        builder.ToTable("outbox_messages");
        builder.HasKey(m => m.Sequence);
        builder.Property(m => m.Sequence).ValueGeneratedOnAdd();
        builder.HasIndex(m => m.MessageId).IsUnique();
        builder.Property(m => m.TenantId).HasMaxLength(63);
        builder.Property(m => m.MessageType).HasMaxLength(100);
        builder.Property(m => m.LastError).HasMaxLength(1000);
        // The publisher's scan: pending rows that are due, oldest first. Partial, so it stays as small as the backlog
        // (the same filter syntax works on PostgreSQL and SQLite).
        builder.HasIndex(m => new { m.NextAttemptAt, m.Sequence }).HasFilter("sent_at IS NULL");
        // Maintenance drops published rows after a while.
        builder.HasIndex(m => m.SentAt);
    }
}

internal sealed class DatasetErasureConfiguration : IEntityTypeConfiguration<DatasetErasureRecord>
{
    public void Configure(EntityTypeBuilder<DatasetErasureRecord> builder)
    {
        builder.ToTable("dataset_erasures");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.TenantId).HasMaxLength(63);
        builder.Property(e => e.Actor).HasMaxLength(Actors.MaxLength);
        builder.Property(e => e.RequestReference).HasMaxLength(Erasure.DatasetErasure.MaxRequestReferenceLength);
        builder.Property(e => e.Versions)
            .HasConversion<JsonTextConverter<IReadOnlyList<ErasedVersionRecord>>, JsonTextComparer<IReadOnlyList<ErasedVersionRecord>>>();
        builder.HasIndex(e => new { e.TenantId, e.ErasedAt, e.Id });
        // A late registration for an erased data set is refused: this index answers "was it erased?".
        builder.HasIndex(e => new { e.TenantId, e.DatasetId });
    }
}
