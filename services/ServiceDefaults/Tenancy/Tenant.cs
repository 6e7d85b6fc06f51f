using System.Text.RegularExpressions;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Platform.Contracts;
using Platform.ServiceDefaults.Errors;

namespace Platform.ServiceDefaults.Tenancy;

/// <summary>
/// Every data set, job and model belongs to a tenant. Between services the tenant travels in the
/// <c>x-tenant-id</c> header (without it, calls act for <see cref="Default"/>); the backends read it here and trust it
/// because only callers with the service credential reach them. At the public edge the tenant comes from the caller's
/// identity instead (the gateway's <c>Caller</c>, docs/security.md).
/// </summary>
public static partial class Tenant
{
    public const string Header = "x-tenant-id";
    public const string Default = "default";

    /// <summary>The caller's tenant, validated.</summary>
    public static string From(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var value = context.RequestHeaders.GetValue(Header);
        return string.IsNullOrEmpty(value) ? Default : Validate(value);
    }

    /// <summary>The caller's tenant on an HTTP request (the byte stream), from the same header, validated.</summary>
    public static string From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var value = context.Request.Headers[Header].ToString();
        return string.IsNullOrEmpty(value) ? Default : Validate(value);
    }

    /// <summary>Checks a tenant id: 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit.</summary>
    public static string Validate(string? tenantId, string field = Header)
    {
        if (string.IsNullOrEmpty(tenantId) || !TenantPattern().IsMatch(tenantId))
            throw new InvalidArgumentException(field,
                $"{Echo.Quote(tenantId)} is not a valid tenant id (1-63 characters of a-z, 0-9 and '-', starting with a letter or digit)");
        return tenantId;
    }

    /// <summary>Headers that make an outgoing call act for <paramref name="tenantId"/>.</summary>
    public static Metadata Headers(string tenantId) => new() { { Header, tenantId } };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex TenantPattern();
}
