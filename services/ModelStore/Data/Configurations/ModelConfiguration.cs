using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Data.Configurations;

internal sealed class ModelConfiguration : IEntityTypeConfiguration<ModelRecord>
{
    public void Configure(EntityTypeBuilder<ModelRecord> builder)
    {
        builder.ToTable("models");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.TenantId).HasMaxLength(63);
        builder.Property(m => m.Name).HasMaxLength(ModelNames.MaxLength);
        builder.HasIndex(m => new { m.TenantId, m.Name }).IsUnique();
        builder.HasMany(m => m.Versions).WithOne(v => v.Model).HasForeignKey(v => v.ModelId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(m => m.Aliases).WithOne().HasForeignKey(a => a.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}
