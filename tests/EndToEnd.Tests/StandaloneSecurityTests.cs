using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using Platform.Transfers;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The standalone host (one process) exposes what a cluster exposes: the public API on its public ports, the
/// backends and the internal services only on loopback ports that need the service credential, which only the
/// process itself knows. Open by default on loopback; with <c>Authentication:Open=false</c> it wants keys, and the
/// first one comes from the host command.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StandaloneSecurityTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("platform-standalone-security").FullName;
    private readonly int _internalPort = ServiceProcess.FreePort();
    private readonly int _internalTransfersPort = ServiceProcess.FreePort();
    private ServiceProcess _host = null!;

    public async Task InitializeAsync() => _host = await ServiceProcess.StartAsync("Standalone", Settings());

    private Dictionary<string, string> Settings() => new()
    {
        ["Platform__DataDirectory"] = _dataDirectory,
        ["Platform__Ports__Internal"] = _internalPort.ToString(CultureInfo.InvariantCulture),
        ["Platform__Ports__InternalTransfers"] = _internalTransfersPort.ToString(CultureInfo.InvariantCulture),
    };

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Internal_services_answer_no_client_on_the_public_port_and_the_internal_ports_want_the_service_credential()
    {
        using var channel = GrpcChannel.ForAddress(_host.GrpcAddress);
        using var register = new ModelRegistry.ModelRegistryClient(channel).RegisterModelVersion();
        try
        {
            await register.RequestStream.WriteAsync(new RegisterModelVersionRequest
            {
                Version = new ModelVersion { ModelName = "fabricated", JobId = Guid.NewGuid().ToString(), Metrics = { ["accuracy"] = 1 } },
            });
            await register.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
        }
        var registration = await Assert.ThrowsAsync<RpcException>(() => register.ResponseAsync);
        var maintenance = await Assert.ThrowsAsync<RpcException>(() =>
            new RegistryMaintenance.RegistryMaintenanceClient(channel).RunMaintenanceAsync(new RunMaintenanceRequest()).ResponseAsync);
        using var internalChannel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{_internalPort}"));
        var backend = await Assert.ThrowsAsync<RpcException>(() =>
            new ModelService.ModelServiceClient(internalChannel).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        var internalRegistry = await Assert.ThrowsAsync<RpcException>(() =>
            new RegistryMaintenance.RegistryMaintenanceClient(internalChannel).RunMaintenanceAsync(new RunMaintenanceRequest()).ResponseAsync);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_internalTransfersPort}") };
        using var bytes = await http.GetAsync(ByteStream.ArtifactPath("anything", "model"));

        Assert.Equal((StatusCode.PermissionDenied, "this call is not part of the public API"), (registration.StatusCode, registration.Status.Detail));
        Assert.Equal(StatusCode.PermissionDenied, maintenance.StatusCode);
        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (backend.StatusCode, internalRegistry.StatusCode));
        Assert.Equal(HttpStatusCode.Unauthorized, bytes.StatusCode);
        // Open mode: the public API serves a caller without a credential, as the local administrator of 'default'.
        Assert.Empty((await new ModelService.ModelServiceClient(channel).ListModelsAsync(new ListModelsRequest())).Models);
        Assert.Contains("Authentication is OPEN", _host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_it_wants_a_key_and_the_host_command_makes_the_first_one()
    {
        await _host.DisposeAsync();
        var settings = Settings();
        settings["Authentication__Open"] = "false";
        var key = (await ServiceProcess.RunToCompletionAsync("Standalone", "keys create --tenant default --scope models:read --name laptop", settings)).Trim();
        _host = await ServiceProcess.StartAsync("Standalone", settings);

        using var anonymous = GrpcChannel.ForAddress(_host.GrpcAddress);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            new ModelService.ModelServiceClient(anonymous).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        using var withKey = PublicCaller.Channel(_host.GrpcAddress, key);
        var models = await new ModelService.ModelServiceClient(withKey).ListModelsAsync(new ListModelsRequest());

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Empty(models.Models);
        Assert.StartsWith("plk_", key, StringComparison.Ordinal);
        Assert.DoesNotContain(key, _host.Output, StringComparison.Ordinal);
    }
}
