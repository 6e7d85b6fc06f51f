using Microsoft.EntityFrameworkCore;
using Platform.ServiceDefaults.Persistence;

namespace Platform.Gateway.Data;

/// <summary>
/// The gateway's own database (<c>ConnectionStrings:Gateway</c>): API keys (hashed) and the audit log. The same model
/// runs on PostgreSQL (migrations in Data/Migrations, applied by <c>Platform.Gateway.dll migrate</c>) and on SQLite
/// (standalone), so timestamps are stored as UTC date-times, which both engines can sort.
/// </summary>
public sealed class GatewayDbContext(DbContextOptions<GatewayDbContext> options) : DbContext(options)
{
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<AuditEventRecord> AuditEvents => Set<AuditEventRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.StoreTimesAsUtc();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDbContext).Assembly);
        modelBuilder.UseSnakeCaseNames();
    }
}

/// <summary>An API key as stored: its lookup id and a hash of the whole key, never the key itself.</summary>
public sealed class ApiKeyRecord
{
    /// <summary>The lookup id (16 hex characters), the part of the key between <c>plk_</c> and the next <c>_</c>.</summary>
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string TenantId { get; init; }
    /// <summary>Space-separated scopes.</summary>
    public required string Scopes { get; init; }
    /// <summary>SHA-256 of the whole key, hex (see <see cref="ApiKeys.ApiKeyFormat"/> for why SHA-256).</summary>
    public required string SecretHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public IReadOnlyList<string> ScopeList => Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>One state-changing public call: who, for which tenant, what, on what, when, from where, and how it ended.</summary>
public sealed class AuditEventRecord
{
    public required Guid Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string ActorTenantId { get; init; }
    public required string TenantId { get; init; }
    public required string Credential { get; init; }
    public required string Action { get; init; }
    public required string Resource { get; init; }
    public required string Outcome { get; init; }
    public required string ClientAddress { get; init; }
}
