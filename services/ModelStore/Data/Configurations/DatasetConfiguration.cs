using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Datasets;
using Platform.ModelStore.Datasets.Profiling;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<DatasetRecord>
{
    public void Configure(EntityTypeBuilder<DatasetRecord> builder)
    {
        builder.ToTable("datasets");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.TenantId).HasMaxLength(63);
        builder.Property(d => d.Name).HasMaxLength(255);
        builder.Property(d => d.Format).HasMaxLength(16);
        builder.Property(d => d.Sha256).HasMaxLength(64);
        builder.Property(d => d.Columns)
            .HasConversion<JsonTextConverter<IReadOnlyList<DatasetColumn>>, JsonTextComparer<IReadOnlyList<DatasetColumn>>>();
        // ListDatasets: newest first within a tenant.
        builder.HasIndex(d => new { d.TenantId, d.CreatedAt, d.Id });
        // Is a blob still referred to? (deleting versions and data sets, the orphan sweep)
        builder.HasIndex(d => d.Sha256);
    }
}

internal sealed class DatasetProfileConfiguration : IEntityTypeConfiguration<DatasetProfileRecord>
{
    public void Configure(EntityTypeBuilder<DatasetProfileRecord> builder)
    {
        builder.ToTable("dataset_profiles");
        builder.HasKey(p => p.DatasetId);
        builder.Property(p => p.DatasetId).ValueGeneratedNever();
        builder.Property(p => p.Profile)
            .HasConversion<JsonTextConverter<StoredProfile>, JsonTextComparer<StoredProfile>>();
        // Erasing or deleting a data set takes its profile with it, in the database itself.
        builder.HasOne<DatasetRecord>().WithOne()
            .HasForeignKey<DatasetProfileRecord>(p => p.DatasetId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
