using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class ArtifactConfiguration : IEntityTypeConfiguration<ArtifactRecord>
{
    public void Configure(EntityTypeBuilder<ArtifactRecord> builder)
    {
        builder.ToTable("artifacts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).ValueGeneratedNever();
        builder.Property(a => a.TenantId).HasMaxLength(63);
        builder.Property(a => a.Kind).HasMaxLength(ArtifactDeclaration.MaxKindLength);
        builder.Property(a => a.Sha256).HasMaxLength(64);
        builder.Property(a => a.FileName).HasMaxLength(255);
        builder.HasIndex(a => new { a.ModelVersionId, a.Kind }).IsUnique();
        // Is a blob still referred to? (deleting versions, the orphan sweep, duplicate uploads)
        builder.HasIndex(a => a.Sha256);
    }
}
