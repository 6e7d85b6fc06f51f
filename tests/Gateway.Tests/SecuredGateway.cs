using System.Security.Claims;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Authentication.ApiKeys;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Data;

namespace Platform.Gateway.Tests;

/// <summary>
/// The real gateway with authentication required (not open), API keys in its SQLite database and JWTs of a test
/// identity provider (an RSA key made here), in front of the fake backends.
/// </summary>
public class SecuredGateway : IAsyncLifetime
{
    public const string Issuer = "https://idp.test";
    public const string Audience = "ml-platform";

    private readonly RSA _signing = RSA.Create(2048);
    private readonly List<GrpcChannel> _channels = [];
    private WebApplication? _scheduler;
    private WebApplication? _modelStore;
    private WebApplication? _gateway;

    public BackendLog SchedulerLog { get; } = new();
    public BackendLog ModelStoreLog { get; } = new();
    public Uri Address { get; private set; } = null!;
    public IServiceProvider Services => _gateway!.Services;

    public virtual async Task InitializeAsync()
    {
        _scheduler = await GrpcTestHost.StartBackendAsync(services => services.AddSingleton(SchedulerLog), app => app.MapGrpcService<FakeScheduler>());
        _modelStore = await GrpcTestHost.StartBackendAsync(services => services.AddSingleton(ModelStoreLog), app =>
        {
            app.MapGrpcService<FakeDatasets>();
            app.MapGrpcService<FakeModels>();
        });
        _gateway = await GrpcTestHost.StartGatewayAsync(GrpcTestHost.AddressOf(_scheduler), GrpcTestHost.AddressOf(_modelStore),
            new Dictionary<string, string?>
            {
                ["Authentication:Open"] = "false",
                ["Authentication:Jwt:Issuer"] = Issuer,
                ["Authentication:Jwt:Audience"] = Audience,
                ["Authentication:Jwt:SigningKeys:0"] = _signing.ExportSubjectPublicKeyInfoPem(),
                ["Authentication:Jwt:TenantClaim"] = "org",
                ["Authentication:Jwt:ScopeClaim"] = "scp",
                ["Authentication:ApiKeys:CacheSeconds"] = "0",
            }.Concat(Settings).ToDictionary());
        Address = GrpcTestHost.AddressOf(_gateway);
    }

    /// <summary>More configuration for a variant of this gateway.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>A key made as the host command makes one.</summary>
    public async Task<string> CreateKeyAsync(string tenant, params string[] scopes)
    {
        await using var scope = Services.CreateAsyncScope();
        var (_, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyStore>()
            .CreateAsync($"test-{Guid.NewGuid():N}"[..20], tenant, scopes, null, "host", CancellationToken.None);
        return key;
    }

    /// <summary>A key whose expiry has passed (written straight into the database: the API refuses past expiries).</summary>
    public async Task<string> CreateExpiredKeyAsync(string tenant, params string[] scopes)
    {
        var (id, key) = ApiKeyFormat.Generate();
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        db.ApiKeys.Add(new ApiKeyRecord
        {
            Id = id, Name = "expired", TenantId = tenant, Scopes = string.Join(' ', scopes), SecretHash = ApiKeyFormat.Hash(key),
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-2), CreatedBy = "host", ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1),
        });
        await db.SaveChangesAsync();
        return key;
    }

    /// <summary>A token of the test identity provider (or, with <paramref name="signedBy"/>, of an impostor).</summary>
    public string Token(string tenant, string scopes, string subject = "ana@example.com", string audience = Audience,
        TimeSpan? expiresIn = null, RSA? signedBy = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var claims = new Dictionary<string, object> { ["org"] = tenant, ["scp"] = scopes };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Claims = claims,
            IssuedAt = expires.AddMinutes(-20),
            NotBefore = expires.AddMinutes(-20),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signedBy ?? _signing), SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>A channel that sends <paramref name="credential"/> (none when null).</summary>
    public GrpcChannel Channel(string? credential)
    {
        var channel = credential is null
            ? GrpcChannel.ForAddress(Address)
            : Platform.Testing.PublicCaller.Channel(Address, credential);
        _channels.Add(channel);
        return channel;
    }

    public static Metadata Tenant(string tenant) => new() { { "x-tenant-id", tenant } };

    public virtual async Task DisposeAsync()
    {
        foreach (var channel in _channels) channel.Dispose();
        foreach (var app in new[] { _gateway, _scheduler, _modelStore })
            if (app is not null) await app.DisposeAsync();
        _signing.Dispose();
    }
}
