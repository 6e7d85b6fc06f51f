using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Platform.Gateway.Data.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(16).ValueGeneratedNever();
        builder.Property(k => k.Name).HasMaxLength(100);
        builder.Property(k => k.TenantId).HasMaxLength(63);
        builder.Property(k => k.Scopes).HasMaxLength(200);
        builder.Property(k => k.SecretHash).HasMaxLength(64);
        builder.Property(k => k.CreatedBy).HasMaxLength(200);
        builder.Property(k => k.RevokedBy).HasMaxLength(200);
        builder.Ignore(k => k.ScopeList);
        // ListApiKeys: newest first, per tenant or across tenants.
        builder.HasIndex(k => new { k.TenantId, k.CreatedAt });
        builder.HasIndex(k => k.CreatedAt);
    }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEventRecord>
{
    public void Configure(EntityTypeBuilder<AuditEventRecord> builder)
    {
        builder.ToTable("audit_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.ActorTenantId).HasMaxLength(63);
        builder.Property(e => e.TenantId).HasMaxLength(63);
        builder.Property(e => e.Credential).HasMaxLength(16);
        builder.Property(e => e.Action).HasMaxLength(200);
        builder.Property(e => e.Resource).HasMaxLength(300);
        builder.Property(e => e.Outcome).HasMaxLength(32);
        builder.Property(e => e.ClientAddress).HasMaxLength(64);
        // ListAuditEvents: newest first, per tenant or across tenants.
        builder.HasIndex(e => new { e.TenantId, e.At });
        builder.HasIndex(e => e.At);
    }
}
