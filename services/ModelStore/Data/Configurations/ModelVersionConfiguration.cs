using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class ModelVersionConfiguration : IEntityTypeConfiguration<ModelVersionRecord>
{
    public void Configure(EntityTypeBuilder<ModelVersionRecord> builder)
    {
        builder.ToTable("model_versions");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Id).ValueGeneratedNever();
        builder.Property(v => v.TenantId).HasMaxLength(63);
        builder.Property(v => v.JobId).HasMaxLength(ModelVersionRegistration.MaxJobIdLength);
        builder.Property(v => v.DatasetSha256).HasMaxLength(64);
        builder.Property(v => v.Task).HasMaxLength(32);
        builder.Property(v => v.Trainer).HasMaxLength(100);
        builder.Property(v => v.LabelColumn).HasMaxLength(1000);
        builder.Property(v => v.Hyperparameters)
            .HasConversion<JsonTextConverter<IReadOnlyDictionary<string, string>>, JsonTextComparer<IReadOnlyDictionary<string, string>>>();
        builder.Property(v => v.Metrics)
            .HasConversion<JsonTextConverter<IReadOnlyDictionary<string, double>>, JsonTextComparer<IReadOnlyDictionary<string, double>>>();
        builder.Property(v => v.Source).HasConversion<SnakeCaseEnumConverter<ModelVersionSource>>().HasMaxLength(16);
        builder.Property(v => v.PreparationSteps)
            .HasConversion<JsonTextConverter<IReadOnlyList<PreparationStepRecord>>, JsonTextComparer<IReadOnlyList<PreparationStepRecord>>>();
        builder.Property(v => v.PlatformVersion).HasMaxLength(ModelVersionRegistration.MaxShortTextLength);
        builder.Property(v => v.GitCommit).HasMaxLength(ModelVersionRegistration.MaxShortTextLength);
        builder.Property(v => v.Worker).HasMaxLength(ModelVersionRegistration.MaxShortTextLength);
        builder.Property(v => v.InputSchema)
            .HasConversion<JsonTextConverter<IReadOnlyList<SchemaColumnRecord>>, JsonTextComparer<IReadOnlyList<SchemaColumnRecord>>>();
        builder.Property(v => v.OutputSchema)
            .HasConversion<JsonTextConverter<IReadOnlyList<SchemaColumnRecord>>, JsonTextComparer<IReadOnlyList<SchemaColumnRecord>>>();
        builder.Property(v => v.Description).HasMaxLength(ModelVersionRegistration.MaxDescriptionLength);
        builder.Property(v => v.ApprovalStatus).HasConversion<SnakeCaseEnumConverter<ApprovalStatus>>().HasMaxLength(16);
        builder.Property(v => v.ApprovalActor).HasMaxLength(Actors.MaxLength);
        builder.Property(v => v.ApprovalComment).HasMaxLength(ModelVersionRegistration.MaxDescriptionLength);
        // The backstop for concurrent registrations: one number per model, one version per job (uploads have none).
        builder.HasIndex(v => new { v.ModelId, v.Version }).IsUnique();
        builder.HasIndex(v => new { v.TenantId, v.JobId }).IsUnique();
        // Search (newest first within a tenant) and data-subject erasure (every version trained on a data set).
        builder.HasIndex(v => new { v.TenantId, v.CreatedAt, v.Id });
        builder.HasIndex(v => new { v.TenantId, v.DatasetId });
        builder.HasMany(v => v.Artifacts).WithOne().HasForeignKey(a => a.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(v => v.Tags).WithOne().HasForeignKey(t => t.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(v => v.MetricValues).WithOne().HasForeignKey(m => m.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
        // A version an alias points at cannot be deleted by accident: the alias has to move first.
        builder.HasMany(v => v.Aliases).WithOne(a => a.ModelVersion).HasForeignKey(a => a.ModelVersionId).OnDelete(DeleteBehavior.Restrict);
    }
}
