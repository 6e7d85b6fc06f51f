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
        // The backstop for concurrent registrations: one number per model, one version per job.
        builder.HasIndex(v => new { v.ModelId, v.Version }).IsUnique();
        builder.HasIndex(v => new { v.TenantId, v.JobId }).IsUnique();
        builder.HasMany(v => v.Artifacts).WithOne().HasForeignKey(a => a.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
    }
}
