using System.Net;
using System.Net.Sockets;

namespace Platform.Gateway.Tests;

/// <summary>/metrics (Prometheus text) on the health port, for the chart's ServiceMonitor; never on the API port.</summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private readonly int _healthPort = FreePort();
    private WebApplication? _scheduler;
    private WebApplication? _gateway;

    public async Task InitializeAsync()
    {
        _scheduler = await GrpcTestHost.StartBackendAsync(services => services.AddSingleton(new BackendLog()), app => app.MapGrpcService<FakeScheduler>());
        var backend = GrpcTestHost.AddressOf(_scheduler);
        _gateway = await GrpcTestHost.StartGatewayAsync(backend, backend, new Dictionary<string, string?>
        {
            ["Platform:Ports:Http"] = _healthPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    [Fact]
    public async Task The_health_port_serves_Prometheus_metrics()
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{_healthPort}/metrics"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_API_port_does_not()
    {
        var api = GrpcTestHost.AddressesOf(_gateway!).Single(a => a.Port != _healthPort);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await http.GetAsync(new Uri(api, "/metrics"));

        // No scrape answers here: the gateway's fallback policy refuses every request that is not a public call (this
        // test host runs in open mode, so as "not part of the public API", 403; with keys, 401 before that).
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        foreach (var app in new[] { _gateway, _scheduler })
            if (app is not null) await app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
