using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Errors;

namespace Platform.Authentication.ApiKeys;

/// <summary>
/// Authenticates <c>authorization: Bearer plk_…</c>: finds the key's record by its id (<see cref="IApiKeyDirectory"/>:
/// the gateway's database, or the gateway asked over its internal API), checks the hash, then that it is neither revoked
/// nor expired. The caller it returns acts for the key's tenant with the key's scopes; its name is the key's name and id
/// (<c>ci-pipeline (key 3f2a…)</c>), which approvals, aliases and the audit log record.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IApiKeyDirectory keys, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (PublicAuthentication.BearerOf(Request) is not { } key) return AuthenticateResult.NoResult();
        if (ApiKeyFormat.IdOf(key) is not { } id) return AuthenticateResult.Fail("the API key is malformed");
        ApiKeyEntry? record;
        try
        {
            record = await keys.FindAsync(id, Context.RequestAborted);
        }
        catch (UnavailableException ex)
        {
            // Refused as Unavailable (retry), not as a bad key (AccessDeniedResponses).
            return AuthenticateResult.Fail(ex);
        }
        // Unknown id and wrong secret read the same: the reply tells nothing about which keys exist.
        if (record is null || !ApiKeyFormat.Matches(key, record.SecretHash)) return AuthenticateResult.Fail("the API key is not valid");
        if (record.RevokedAt is not null) return AuthenticateResult.Fail($"the API key {record.Id} was revoked");
        if (record.ExpiresAt is { } expiry && expiry <= time.GetUtcNow()) return AuthenticateResult.Fail($"the API key {record.Id} has expired");
        var principal = Caller.Principal($"{record.Name} (key {record.Id})", record.TenantId, record.Scopes, "api-key", "key:" + record.Id, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
