namespace Platform.Authentication.ApiKeys;

/// <summary>What authenticating an API key needs to know about it: never the key itself, only its hash.</summary>
public sealed record ApiKeyEntry(
    string Id, string Name, string TenantId, IReadOnlyList<string> Scopes, string SecretHash, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>
/// Where API keys are looked up by id. The gateway owns the keys (its database, <c>ApiKeyStore</c>); another public
/// service asks the gateway (<see cref="GatewayApiKeyDirectory"/>). Both cache answers for
/// <c>Authentication:ApiKeys:CacheSeconds</c>.
/// </summary>
public interface IApiKeyDirectory
{
    /// <summary>The record of a key id; null when there is none.</summary>
    /// <exception cref="ServiceDefaults.Errors.UnavailableException">The keys cannot be read now (the gateway does not answer).</exception>
    Task<ApiKeyEntry?> FindAsync(string id, CancellationToken cancellationToken);
}

