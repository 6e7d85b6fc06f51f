using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Admin.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.Authentication.ApiKeys;

/// <summary>
/// API keys as a public service other than the gateway sees them: asked of the gateway by id over its internal
/// <c>ApiKeyDirectory</c> (with the service credential), the answer cached for <c>Authentication:ApiKeys:CacheSeconds</c>
/// (default 10, as at the gateway), so a busy key costs one internal call per interval, not one per request, and
/// concurrent requests with the same key share one lookup. The secret never leaves this service: only the id is sent,
/// the hash comes back and <see cref="ApiKeyAuthenticationHandler"/> checks it here.
/// <para>
/// When the gateway does not answer, a key checked less than <c>Authentication:ApiKeys:StaleSeconds</c> ago (default
/// 60; 0 turns this off) keeps its last answer, so serving outlives a gateway restart; a key not seen that recently is
/// refused as Unavailable (retry), never as invalid. A revocation therefore reaches this service within CacheSeconds,
/// or within StaleSeconds while the gateway is down.
/// </para>
/// </summary>
public sealed class GatewayApiKeyDirectory(
    ApiKeyDirectory.ApiKeyDirectoryClient gateway, ApiKeyLookupCache cache, TimeProvider time, IConfiguration configuration,
    ILogger<GatewayApiKeyDirectory> logger) : IApiKeyDirectory
{
    /// <summary>How long one lookup may take before the key is refused as Unavailable.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(15);

    private TimeSpan Fresh => TimeSpan.FromSeconds(configuration.GetValue("Authentication:ApiKeys:CacheSeconds", 10));

    private TimeSpan Stale => TimeSpan.FromSeconds(configuration.GetValue("Authentication:ApiKeys:StaleSeconds", 60));

    /// <inheritdoc />
    public async Task<ApiKeyEntry?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var known = cache.Entries.TryGetValue(id, out ApiKeyLookup? cached) ? cached : null;
        if (known is not null && now - known.At < Fresh) return known.Entry;
        try
        {
            // One lookup per id at a time; the others wait for it (not for the caller's cancellation: it is shared).
            var shared = cache.InFlight.GetOrAdd(id, key => new Lazy<Task<ApiKeyLookup>>(() => LookUpAsync(key)));
            var lookup = shared.Value;
            _ = lookup.ContinueWith(_ => cache.InFlight.TryRemove(KeyValuePair.Create(id, shared)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return (await lookup.WaitAsync(cancellationToken)).Entry;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
        {
            if (known is not null && now - known.At < Stale)
            {
                logger.LogWarning("The gateway did not answer for API key {KeyId} ({Status}); using the answer of {Age:0} s ago",
                    id, ex.StatusCode, (now - known.At).TotalSeconds);
                return known.Entry;
            }
            logger.LogWarning("The gateway did not answer for API key {KeyId} ({Status}: {Detail})", id, ex.StatusCode, ex.Status.Detail);
            throw new UnavailableException("the API key cannot be checked now (the gateway does not answer); retry", ex);
        }
    }

    private async Task<ApiKeyLookup> LookUpAsync(string id)
    {
        // Generous: a gateway's first lookup (a cold database connection on a busy node) can take seconds; a caller
        // waiting that long once is better than one refused.
        var reply = await gateway.FindApiKeyAsync(new FindApiKeyRequest { Id = id }, deadline: time.GetUtcNow().UtcDateTime.Add(LookupTimeout));
        var entry = reply.Found
            ? new ApiKeyEntry(reply.Id, reply.Name, reply.TenantId, [.. reply.Scopes], reply.SecretHash,
                reply.ExpiresAt?.ToDateTimeOffset(), reply.RevokedAt?.ToDateTimeOffset())
            : null;
        var lookup = new ApiKeyLookup(entry, time.GetUtcNow());
        // Unknown ids are kept too, so a stream of made-up keys is not a stream of calls; kept as long as a stale
        // answer may still serve, fresh only for CacheSeconds.
        var keep = Stale > Fresh ? Stale : Fresh;
        if (keep > TimeSpan.Zero)
            cache.Entries.Set(id, lookup, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = keep, Size = 1 });
        return lookup;
    }
}

/// <summary>One answer of the gateway and when it came.</summary>
public sealed record ApiKeyLookup(ApiKeyEntry? Entry, DateTimeOffset At);

/// <summary>The key lookups of this service, bounded (10,000 ids), apart from any other cache of the host.</summary>
public sealed class ApiKeyLookupCache : IDisposable
{
    public MemoryCache Entries { get; } = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    internal ConcurrentDictionary<string, Lazy<Task<ApiKeyLookup>>> InFlight { get; } = new(StringComparer.Ordinal);

    public void Dispose() => Entries.Dispose();
}
