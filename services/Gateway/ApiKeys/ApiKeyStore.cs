using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Platform.Authentication;
using Platform.Authentication.ApiKeys;
using Platform.Gateway.Data;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// API keys: created (the key returned once, its hash stored), listed, revoked, and looked up by id for every call.
/// Lookups are cached for <c>Authentication:ApiKeys:CacheSeconds</c> (default 10) so a busy key costs no query per
/// call; a revocation takes effect at once on the gateway that made it and within that time on the others.
/// </summary>
public sealed class ApiKeyStore(GatewayDbContext db, ApiKeyCache keyCache, TimeProvider time, IConfiguration configuration) : IApiKeyDirectory
{
    /// <summary>Longest key name.</summary>
    public const int MaxNameLength = 100;

    private TimeSpan CacheDuration => TimeSpan.FromSeconds(configuration.GetValue("Authentication:ApiKeys:CacheSeconds", 10));

    /// <summary>Creates a key; the returned key is the only copy there will ever be.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, string tenantId, IReadOnlyCollection<string> scopes, DateTimeOffset? expiresAt, string createdBy, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            throw new InvalidArgumentException("name", $"must be 1-{MaxNameLength} printable characters");
        Tenant.Validate(tenantId, "tenant_id");
        if (scopes.Count == 0)
            throw new InvalidArgumentException("scopes", $"at least one scope is needed ({string.Join(", ", Scopes.All)})");
        if (scopes.FirstOrDefault(scope => !Scopes.IsKnown(scope)) is { } unknown)
            throw new InvalidArgumentException("scopes", $"'{Truncate(unknown)}' is not a scope ({string.Join(", ", Scopes.All)})");
        var now = Now();
        if (expiresAt is { } expiry && expiry <= now)
            throw new InvalidArgumentException("expires_at", "must be in the future");
        var (id, key) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord
        {
            Id = id, Name = name, TenantId = tenantId,
            Scopes = string.Join(' ', Scopes.All.Where(scopes.Contains)),
            SecretHash = ApiKeyFormat.Hash(key), CreatedAt = now, CreatedBy = createdBy, ExpiresAt = expiresAt,
        };
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return (record, key);
    }

    /// <summary>Keys, newest first, optionally of one tenant, after <paramref name="after"/> (paging).</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(
        string? tenantId, bool includeRevoked, (DateTimeOffset At, string Id)? after, int limit, CancellationToken cancellationToken)
    {
        var query = db.ApiKeys.AsNoTracking();
        if (!string.IsNullOrEmpty(tenantId)) query = query.Where(k => k.TenantId == tenantId);
        if (!includeRevoked) query = query.Where(k => k.RevokedAt == null);
        if (after is { } cursor)
            query = query.Where(k => k.CreatedAt < cursor.At || (k.CreatedAt == cursor.At && string.Compare(k.Id, cursor.Id) < 0));
        return await query.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Revokes a key (again: unchanged); NotFound for an unknown id.</summary>
    public async Task<ApiKeyRecord> RevokeAsync(string id, string revokedBy, CancellationToken cancellationToken)
    {
        var record = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken)
                     ?? throw new NotFoundException("api key", Truncate(id));
        if (record.RevokedAt is null)
        {
            record.RevokedAt = Now();
            record.RevokedBy = revokedBy;
            await db.SaveChangesAsync(cancellationToken);
        }
        keyCache.Entries.Remove(id);
        return record;
    }

    /// <summary>The record of a key id, cached; null when there is none.</summary>
    public async Task<ApiKeyRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (keyCache.Entries.TryGetValue(id, out ApiKeyRecord? cached)) return cached;
        var record = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        // Unknown ids are cached too, so a stream of made-up keys does not become a stream of queries.
        if (CacheDuration > TimeSpan.Zero)
            keyCache.Entries.Set(id, record, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheDuration, Size = 1 });
        return record;
    }

    /// <summary>The record of a key id for authentication (cached as <see cref="FindAsync"/> is); null when there is none.</summary>
    async Task<ApiKeyEntry?> IApiKeyDirectory.FindAsync(string id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) is { } record ? Entry(record) : null;

    /// <summary>What authentication needs to know of a key: never the key, only its hash.</summary>
    public static ApiKeyEntry Entry(ApiKeyRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ApiKeyEntry(record.Id, record.Name, record.TenantId, record.ScopeList, record.SecretHash, record.ExpiresAt, record.RevokedAt);
    }

    /// <summary>The current time, truncated to the microseconds PostgreSQL keeps (page tokens compare it).</summary>
    public DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

/// <summary>The key lookups of this gateway, bounded (10,000 entries), apart from any other cache of the host.</summary>
public sealed class ApiKeyCache : IDisposable
{
    public MemoryCache Entries { get; } = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public void Dispose() => Entries.Dispose();
}
