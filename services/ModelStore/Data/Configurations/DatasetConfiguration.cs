using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Datasets;

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
