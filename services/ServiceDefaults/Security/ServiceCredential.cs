using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// How the platform's services prove to each other that a call is internal: a shared secret from configuration (a
/// Kubernetes Secret in a cluster; a fresh random value per process in standalone), sent in
/// <see cref="Header"/> on every gRPC and byte-stream call one service makes to another. The backends (scheduler,
/// model store) accept nothing else, and trust the tenant header only on calls that carry it (docs/security.md).
/// </summary>
public static class ServiceCredential
{
    /// <summary>The configuration key of the shared secret (environment variable <c>Authentication__ServiceToken</c>).</summary>
    public const string TokenKey = "Authentication:ServiceToken";

    /// <summary>The request header that carries it. A header of its own, so it is never mistaken for a user's key.</summary>
    public const string Header = "x-platform-service-token";

    /// <summary>The authentication scheme that checks it.</summary>
    public const string Scheme = "ServiceToken";

    /// <summary>The authorization policy of every backend endpoint: an internal caller.</summary>
    public const string Policy = "internal-caller";

    /// <summary>The claim an internal caller's principal carries.</summary>
    public const string ClaimType = "platform:service";

    /// <summary>Shortest secret accepted: 32 characters, e.g. <c>openssl rand -base64 32</c>.</summary>
    public const int MinimumLength = 32;

    /// <summary>The message when the secret is not set (every cluster host refuses to start without it).</summary>
    public const string MissingMessage =
        $"{TokenKey} is not set or shorter than 32 characters (environment variable Authentication__ServiceToken): " +
        "the shared secret the platform's services present to each other; set the same random value (e.g. `openssl rand -base64 32`) " +
        "on every service, from a Kubernetes Secret. See docs/security.md.";

    /// <summary>
    /// A message handler that adds the credential to every request of an internal client: in a client factory's
    /// pipeline (no <paramref name="inner"/>), or in front of <paramref name="inner"/> for a hand-made <see cref="HttpClient"/>.
    /// </summary>
    public static DelegatingHandler Handler(string token, HttpMessageHandler? inner = null)
    {
        var handler = new ServiceTokenHandler(token);
        if (inner is not null) handler.InnerHandler = inner;
        return handler;
    }

    internal static bool Matches(string presented, string expected) =>
        // Hashing first makes the comparison fixed-time whatever the lengths.
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

/// <summary>The shared secret, bound from the <c>Authentication</c> section.</summary>
public sealed class ServiceCredentialOptions
{
    /// <summary><see cref="ServiceCredential.TokenKey"/>.</summary>
    public string? ServiceToken { get; set; }
}

/// <summary>Adds <see cref="ServiceCredential.Header"/> to outgoing requests.</summary>
internal sealed class ServiceTokenHandler(string token) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(ServiceCredential.Header);
        request.Headers.TryAddWithoutValidation(ServiceCredential.Header, token);
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Authenticates internal callers by <see cref="ServiceCredential.Header"/>.</summary>
internal sealed class ServiceTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<ServiceCredentialOptions> credential)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    private static readonly ClaimsPrincipal Internal = new(new ClaimsIdentity(
        [new Claim(ServiceCredential.ClaimType, "internal"), new Claim(ClaimTypes.Name, "platform-service")], ServiceCredential.Scheme));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[ServiceCredential.Header].ToString();
        if (string.IsNullOrEmpty(presented)) return Task.FromResult(AuthenticateResult.NoResult());
        var expected = credential.Value.ServiceToken;
        if (string.IsNullOrEmpty(expected) || !ServiceCredential.Matches(presented, expected))
            return Task.FromResult(AuthenticateResult.Fail("the service credential does not match"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Internal, ServiceCredential.Scheme)));
    }
}
