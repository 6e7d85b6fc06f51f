using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.ModelCards;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class ModelCardFieldsConfiguration : IEntityTypeConfiguration<ModelCardFieldsRecord>
{
    public void Configure(EntityTypeBuilder<ModelCardFieldsRecord> builder)
    {
        builder.ToTable("model_card_fields");
        builder.HasKey(f => f.ModelVersionId);
        builder.Property(f => f.TenantId).HasMaxLength(63);
        builder.Property(f => f.IntendedUse).HasMaxLength(ModelCardStore.MaxFieldLength);
        builder.Property(f => f.Limitations).HasMaxLength(ModelCardStore.MaxFieldLength);
        builder.Property(f => f.Privacy).HasMaxLength(ModelCardStore.MaxFieldLength);
        builder.Property(f => f.UpdatedBy).HasMaxLength(Actors.MaxLength);
        // Deleting a version (on request, retention, erasure) deletes its fields in the same statement.
        builder.HasOne<ModelVersionRecord>().WithOne().HasForeignKey<ModelCardFieldsRecord>(f => f.ModelVersionId).OnDelete(DeleteBehavior.Cascade);
    }
}
