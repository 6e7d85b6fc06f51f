using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Platform.Gateway.Tests;

/// <summary>Starts ASP.NET Core hosts on real Kestrel listeners and tells where they listen.</summary>
internal static class GrpcTestHost
{
    /// <summary>A plain gRPC server (HTTP/2 without TLS) on a free loopback port: a fake backend.</summary>
    public static async Task<WebApplication> StartBackendAsync(Action<IServiceCollection> services, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = true); // A failing fake says why.
        services(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>One folder for the gateways' SQLite files of this test run, removed when the run ends.</summary>
    private static readonly Lazy<string> Databases = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("gateway-tests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });

    /// <summary>The service credential the gateway under test sends its backends.</summary>
    public const string ServiceToken = "gateway-test-service-token-0123456789abcdef";

    /// <summary>
    /// The gateway host exactly as its Program.cs composes it, pointed at the given backends, with its own SQLite
    /// database (keys, audit log). Open mode unless <paramref name="settings"/> say otherwise: callers without a key
    /// act as the local administrator, so forwarding tests need no keys.
    /// </summary>
    public static async Task<WebApplication> StartGatewayAsync(Uri scheduler, Uri modelStore, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder();
        var database = Path.Combine(Databases.Value, $"{Guid.NewGuid():N}.db");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = "0", // Kestrel picks a free port.
            ["Platform:Ports:Http"] = "0", // No health listener needed here.
            ["Services:Scheduler"] = scheduler.ToString(),
            ["Services:ModelStore"] = modelStore.ToString(),
            ["Database:Provider"] = "Sqlite",
            ["Database:CreateOnStartup"] = "true",
            ["ConnectionStrings:Gateway"] = $"Data Source={database}",
            ["Authentication:ServiceToken"] = ServiceToken,
            ["Authentication:Open"] = "true",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddGateway();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        await app.StartAsync();
        return app;
    }

    /// <summary>The address a started host actually listens on.</summary>
    public static Uri AddressOf(WebApplication app) => AddressesOf(app).Single();

    /// <summary>Every address a started host listens on.</summary>
    public static IEnumerable<Uri> AddressesOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Select(a => new Uri(a));
}
