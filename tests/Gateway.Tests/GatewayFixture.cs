using Grpc.Net.Client;

namespace Platform.Gateway.Tests;

/// <summary>A fake scheduler, a fake model store and the real gateway in front of them.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private WebApplication? _scheduler;
    private WebApplication? _modelStore;
    private WebApplication? _gateway;

    public BackendLog SchedulerLog { get; } = new();
    public BackendLog ModelStoreLog { get; } = new();

    /// <summary>The gateway's services (its endpoints, its database).</summary>
    public IServiceProvider Services => _gateway!.Services;

    /// <summary>A channel to the gateway, as a client would open it.</summary>
    public GrpcChannel Channel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _scheduler = await GrpcTestHost.StartBackendAsync(
            services => services.AddSingleton(SchedulerLog),
            app => app.MapGrpcService<FakeScheduler>());
        _modelStore = await GrpcTestHost.StartBackendAsync(
            services => services.AddSingleton(ModelStoreLog),
            app =>
            {
                app.MapGrpcService<FakeDatasets>();
                app.MapGrpcService<FakeModels>();
            });
        _gateway = await GrpcTestHost.StartGatewayAsync(GrpcTestHost.AddressOf(_scheduler), GrpcTestHost.AddressOf(_modelStore));
        Channel = GrpcChannel.ForAddress(GrpcTestHost.AddressOf(_gateway));
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        foreach (var app in new[] { _gateway, _scheduler, _modelStore })
            if (app is not null) await app.DisposeAsync();
    }
}
