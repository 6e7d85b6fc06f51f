using System.Security.Claims;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Authentication;

/// <summary>
/// The authenticated caller of a public call, as every credential (API key, token, open standalone mode) describes it
/// in the same claims: who (<see cref="Name"/>), which tenant it belongs to, its scopes, and which tenant the call acts
/// for: its own, or, for an <c>admin</c> that names another in the <c>x-tenant-id</c> header, that one. The gateway
/// sends the acting tenant and the name to the backends; nothing the client writes in a header or field decides them
/// (the access check refuses <c>x-tenant-id</c> of another tenant without <c>admin</c>).
/// </summary>
public sealed record Caller(string Name, string HomeTenant, string Tenant, IReadOnlySet<string> Scopes, string Credential, string Partition)
{
    /// <summary>Claim types of the platform's principal.</summary>
    public static class Claims
    {
        public const string Tenant = "platform:tenant";
        public const string Scope = "platform:scope";
        public const string Credential = "platform:credential";
        /// <summary>What rate limits count by: the key's id, or the token's subject and tenant.</summary>
        public const string Partition = "platform:partition";
    }

    /// <summary>The principal a credential handler returns.</summary>
    public static ClaimsPrincipal Principal(string name, string tenant, IEnumerable<string> scopes, string credential, string partition, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(Claims.Tenant, tenant),
            new(Claims.Credential, credential),
            new(Claims.Partition, partition),
        };
        claims.AddRange(scopes.Distinct(StringComparer.Ordinal).Select(scope => new Claim(Claims.Scope, scope)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, null));
    }

    /// <summary>The caller of an HTTP request (a byte-stream route, or the gRPC call underneath), or null when unauthenticated.</summary>
    public static Caller? Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        if (user.FindFirstValue(Claims.Tenant) is not { } home) return null;
        var scopes = user.FindAll(Claims.Scope).Select(claim => claim.Value).ToHashSet(StringComparer.Ordinal);
        var requested = http.Request.Headers[ServiceDefaults.Tenancy.Tenant.Header].ToString();
        return new Caller(user.Identity?.Name ?? "unknown", home, string.IsNullOrEmpty(requested) ? home : requested, scopes,
            user.FindFirstValue(Claims.Credential) ?? "unknown", user.FindFirstValue(Claims.Partition) ?? home);
    }

    /// <summary>The caller of a gRPC call; the access check has run, so there is one.</summary>
    public static Caller Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Of(context.GetHttpContext()) ?? throw new InvalidOperationException("A public call reached its method without an authenticated caller.");
    }

    /// <summary>Whether the call acts for a tenant other than the caller's own.</summary>
    public bool ActsForAnotherTenant => !string.Equals(Tenant, HomeTenant, StringComparison.Ordinal);

    /// <summary>Headers that make a backend call act for this caller's tenant.</summary>
    public Metadata BackendHeaders() => ServiceDefaults.Tenancy.Tenant.Headers(Tenant);
}
