using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Platform.Admin.V1;
using Platform.Authentication.ApiKeys;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Authentication;

/// <summary>
/// Who may call the public API, set up with ASP.NET Core authentication: API keys (<c>authorization: Bearer plk_…</c>,
/// <see cref="ApiKeyAuthenticationHandler"/>), JWT bearer tokens of an identity provider when
/// <c>Authentication:Jwt</c> is configured (<see cref="JwtSettings"/>), and, only in open mode
/// (<c>Authentication:Open</c>, the standalone default, refused on any address but loopback), a local caller with every
/// scope for tenant <c>default</c> when a request brings no credential. The public policy then applies
/// <see cref="AccessTable"/> to every call. Every host that serves part of the public API (the gateway, the serving
/// service, the standalone host that runs both) sets it up here, once; where API keys are looked up is the host's
/// choice (<see cref="IApiKeyDirectory"/>: the gateway's database, or <see cref="AddApiKeysFromGateway"/>).
/// </summary>
public static class PublicAuthentication
{
    /// <summary>The scheme of the public API: picks API key, token or open mode by what the request carries.</summary>
    public const string Scheme = "Platform";

    /// <summary>The JWT bearer scheme.</summary>
    public const string JwtScheme = "Jwt";

    /// <summary>The open-mode scheme.</summary>
    public const string LocalScheme = "Local";

    /// <summary>The configuration key of open mode.</summary>
    public const string OpenKey = "Authentication:Open";

    /// <summary>
    /// Registers the schemes, the public policy (also the fallback: whatever is not mapped is closed) and the start-up
    /// report; a second call (a host composing several public services) changes nothing.
    /// </summary>
    public static WebApplicationBuilder AddPublicAuthentication(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Host.Properties.TryAdd(typeof(PublicAuthentication), true)) return builder;
        var jwt = builder.Configuration.GetSection(JwtSettings.Section).Get<JwtSettings>() ?? new JwtSettings();
        jwt.Validate();
        var open = builder.Configuration.GetValue(OpenKey, false);
        if (open)
        {
            var bind = IPAddress.Parse(builder.Configuration.GetValue("Platform:BindAddress", "0.0.0.0")!);
            if (!IPAddress.IsLoopback(bind))
                throw new InvalidOperationException(
                    $"{OpenKey}=true lets every caller act as an administrator, so it is only allowed when the platform listens on a " +
                    $"loopback address, and Platform:BindAddress is {bind}. Set {OpenKey}=false and use API keys or an identity provider (docs/security.md).");
        }

        var authentication = builder.Services.AddAuthentication()
            .AddPolicyScheme(Scheme, "API key, token or open mode", options => options.ForwardDefaultSelector = http =>
                BearerOf(http.Request) switch
                {
                    null => open ? LocalScheme : ApiKeyAuthenticationHandler.SchemeName,
                    var bearer when bearer.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal) => ApiKeyAuthenticationHandler.SchemeName,
                    _ => jwt.IsConfigured ? JwtScheme : ApiKeyAuthenticationHandler.SchemeName,
                })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (open) authentication.AddScheme<AuthenticationSchemeOptions, LocalAuthenticationHandler>(LocalScheme, null);
        if (jwt.IsConfigured) authentication.AddJwtBearer(JwtScheme, options => jwt.Configure(options));

        var publicApi = new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().AddRequirements(new AccessRequirement()).Build();
        builder.Services.AddAuthorization(options =>
        {
            options.AddPolicy(AccessRequirement.Policy, publicApi);
            options.FallbackPolicy = publicApi;
        });
        builder.Services.AddSingleton<IAuthorizationHandler, AccessHandler>();
        builder.Services.AddHostedService(services => new AuthenticationReport(
            open, jwt, services.GetRequiredService<ILogger<AuthenticationReport>>()));
        return builder;
    }

    /// <summary>
    /// API keys checked by asking the gateway, which owns them (<see cref="GatewayApiKeyDirectory"/>, over its internal
    /// API at <c>Services:Gateway</c>, with the service credential). A host that also runs the gateway looks them up in
    /// the gateway's database instead: the gateway's registration replaces this one, in whichever order they run.
    /// </summary>
    public static WebApplicationBuilder AddApiKeysFromGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ApiKeyLookupCache>();
        builder.Services.TryAddScoped<IApiKeyDirectory, GatewayApiKeyDirectory>();
        if (builder.Services.All(service => service.ServiceType != typeof(ApiKeyDirectory.ApiKeyDirectoryClient)))
            builder.AddPlatformGrpcClient<ApiKeyDirectory.ApiKeyDirectoryClient>("Gateway");
        return builder;
    }

    /// <summary>The bearer credential of a request, or null without one.</summary>
    public static string? BearerOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
               && header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(header.Parameter)
            ? header.Parameter
            : null;
    }

    /// <summary>Says at start-up how callers are authenticated; loudly when they are not.</summary>
    private sealed class AuthenticationReport(bool open, JwtSettings jwt, ILogger<AuthenticationReport> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var tokens = jwt.IsConfigured ? $" and JWT bearer tokens from {jwt.Authority ?? jwt.Issuer} (audience {jwt.Audience})" : "";
            if (open)
                logger.LogWarning(
                    "Authentication is OPEN (standalone on loopback): a call without a credential acts as 'local' with every scope for tenant '{Tenant}'. " +
                    "API keys{Tokens} are checked when sent. Set {Key}=false to require them", Tenant.Default, tokens, OpenKey);
            else
                logger.LogInformation("Authentication: API keys{Tokens}; calls without a valid credential are refused", tokens);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Open mode: a request without a credential, from this machine, acts as the local administrator of tenant <c>default</c>.</summary>
internal sealed class LocalAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private static readonly ClaimsPrincipal Local =
        Caller.Principal("local", Tenant.Default, Scopes.All, "local", "local", PublicAuthentication.LocalScheme);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(Context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
            ? AuthenticateResult.Success(new AuthenticationTicket(Local, PublicAuthentication.LocalScheme))
            : AuthenticateResult.NoResult());
}

/// <summary>
/// <c>Authentication:Jwt</c>: tokens of an external identity provider. Either <see cref="Authority"/> (its OpenID
/// metadata gives the issuer and signing keys, refreshed as it rotates them) or <see cref="Issuer"/> with
/// <see cref="SigningKeys"/> (PEM public keys, RSA or EC); always an <see cref="Audience"/>. The tenant, scopes and name
/// come from the claims named by <see cref="TenantClaim"/>, <see cref="ScopeClaim"/> and <see cref="NameClaim"/>.
/// </summary>
public sealed class JwtSettings
{
    public const string Section = "Authentication:Jwt";

    public string? Authority { get; set; }
    public string? Issuer { get; set; }
    public string? Audience { get; set; }
    public IList<string> SigningKeys { get; } = [];
    public string TenantClaim { get; set; } = "tenant";
    /// <summary>A space-separated string (OAuth's <c>scope</c>) or an array of scopes.</summary>
    public string ScopeClaim { get; set; } = "scope";
    public string NameClaim { get; set; } = "sub";
    public bool RequireHttpsMetadata { get; set; } = true;
    public int ClockSkewSeconds { get; set; } = 60;

    public bool IsConfigured => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(Issuer);

    internal void Validate()
    {
        if (!IsConfigured) return;
        if (string.IsNullOrEmpty(Audience))
            throw new InvalidOperationException($"{Section}:Audience is not set: tokens are only accepted for this platform's audience.");
        if (string.IsNullOrEmpty(Authority) && SigningKeys.Count == 0)
            throw new InvalidOperationException($"{Section}: set Authority (the provider's metadata gives its signing keys) or SigningKeys (PEM public keys) with Issuer.");
    }

    internal void Configure(JwtBearerOptions options)
    {
        options.MapInboundClaims = false;
        options.RequireHttpsMetadata = RequireHttpsMetadata;
        if (!string.IsNullOrEmpty(Authority)) options.Authority = Authority;
        options.Audience = Audience;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = Issuer,
            ValidateAudience = true,
            ValidAudience = Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(ClockSkewSeconds),
            NameClaimType = NameClaim,
            IssuerSigningKeys = SigningKeys.Select(ParseKey).ToList(),
        };
        options.Events = new JwtBearerEvents
        {
            OnAuthenticationFailed = context =>
            {
                context.Fail(context.Exception switch
                {
                    SecurityTokenExpiredException => "the token has expired",
                    SecurityTokenNotYetValidException => "the token is not valid yet",
                    SecurityTokenInvalidAudienceException => "the token is not for this platform (audience)",
                    SecurityTokenInvalidIssuerException => "the token's issuer is not trusted",
                    SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature is not valid",
                    _ => "the token is not valid",
                });
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                var claims = context.Principal!;
                var tenant = claims.FindFirst(TenantClaim)?.Value;
                try
                {
                    Tenant.Validate(tenant, TenantClaim);
                }
                catch (ServiceDefaults.Errors.InvalidArgumentException)
                {
                    context.Fail($"the token has no valid '{TenantClaim}' claim");
                    return Task.CompletedTask;
                }
                var scopes = claims.FindAll(ScopeClaim).SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .Where(Scopes.IsKnown);
                var name = claims.FindFirst(NameClaim)?.Value ?? "unknown";
                var issuer = claims.FindFirst("iss")?.Value ?? "";
                context.Principal = Caller.Principal(name, tenant!, scopes, "jwt", $"jwt:{issuer}:{name}", PublicAuthentication.JwtScheme);
                return Task.CompletedTask;
            },
        };
    }

    private static SecurityKey ParseKey(string pem)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (ArgumentException)
        {
            var ec = ECDsa.Create();
            try
            {
                ec.ImportFromPem(pem);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{Section}:SigningKeys: an entry is not a PEM RSA or EC public key.", ex);
            }
            return new ECDsaSecurityKey(ec);
        }
    }
}
