using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Platform.Datasets.V1;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Tenancy;
using Platform.ServiceDefaults.Transfers;
using Platform.Testing;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// The model-store host composed as its Program.cs does (service defaults, error interceptor, migrations at
/// start-up), on a real Kestrel port and a fresh PostgreSQL database, with clients over a real HTTP/2 channel.
/// </summary>
internal sealed class ModelStoreHost : IAsyncDisposable
{
    private readonly TempFolder _blobFolder = new();
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public DatasetService.DatasetServiceClient Datasets { get; private set; } = null!;

    public ModelService.ModelServiceClient Models { get; private set; } = null!;

    public ModelRegistry.ModelRegistryClient Registry { get; private set; } = null!;

    public RegistryMaintenance.RegistryMaintenanceClient Maintenance { get; private set; } = null!;

    /// <summary>The gRPC port's address.</summary>
    public Uri GrpcAddress { get; private set; } = null!;

    /// <summary>The byte stream's HTTP/1.1 address (<c>Platform:Ports:Transfers</c>).</summary>
    public Uri TransfersAddress { get; private set; } = null!;

    /// <summary>An HTTP/1.1 client of the byte stream, calling as the platform's services do (requests name their tenant themselves).</summary>
    public HttpClient NewTransfersClient() => InternalCaller.HttpClient(TransfersAddress);

    /// <summary>The host's database.</summary>
    public string ConnectionString { get; private set; } = "";

    public BlobStore Blobs => _app!.Services.GetRequiredService<BlobStore>();

    /// <summary>Starts a store on a fresh database.</summary>
    /// <param name="servers">The shared servers.</param>
    /// <param name="rabbitMq">A virtual host's amqp URI to publish registry events to; null for the in-memory bus.</param>
    /// <param name="settings">More configuration (for example <c>ModelStore:MaxArtifactBytes</c>).</param>
    public static async Task<ModelStoreHost> StartAsync(
        PlatformServers servers, string? rabbitMq = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = new ModelStoreHost();
        var connectionString = await servers.CreateDatabaseAsync("model_store");
        host.ConnectionString = connectionString;
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = "0", // Kestrel picks a free port.
            ["Platform:Ports:Http"] = "0", // No health listener needed.
            ["Platform:Ports:Transfers"] = "0", // The byte stream, on a free port too.
            ["Database:Provider"] = "Postgres",
            ["Database:CreateOnStartup"] = "true", // Applies the migrations, as the `migrate` step would.
            ["ConnectionStrings:ModelStore"] = connectionString,
            ["BlobStore:Root"] = host._blobFolder.Path,
            ["Messaging:Transport"] = rabbitMq is null ? "InMemory" : "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = rabbitMq,
            // Tests run maintenance when they mean to.
            ["ModelStore:Maintenance:Enabled"] = "false",
            [ServiceDefaults.Security.ServiceCredential.TokenKey] = InternalCaller.Token,
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddModelStore();
        builder.AddMessaging(bus => bus.AddModelStorePublishing());
        host._app = builder.Build();
        host._app.MapModelStore();
        await host._app.StartAsync();

        var transfersPort = host._app.Services.GetRequiredService<ServiceDefaults.Hosting.PlatformListeners>().InternalTransfers.Port;
        host.TransfersAddress = new Uri($"http://127.0.0.1:{transfersPort}");
        var address = host._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Single(a => new Uri(a).Port != transfersPort);
        host.GrpcAddress = new Uri(address);
        host._channel = InternalCaller.Channel(new Uri(address), new GrpcChannelOptions { MaxReceiveMessageSize = 8 * 1024 * 1024 });
        host.Datasets = new DatasetService.DatasetServiceClient(host._channel);
        host.Models = new ModelService.ModelServiceClient(host._channel);
        host.Registry = new ModelRegistry.ModelRegistryClient(host._channel);
        host.Maintenance = new RegistryMaintenance.RegistryMaintenanceClient(host._channel);
        return host;
    }

    public static Metadata Tenant(string tenantId) => ServiceDefaults.Tenancy.Tenant.Headers(tenantId);

    /// <summary>Runs a query on the host's database, to look at what was stored.</summary>
    public async Task<T> QueryAsync<T>(Func<ModelStoreDbContext, Task<T>> query)
    {
        await using var scope = _app!.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ModelStoreDbContext>());
    }

    public int BlobFileCount => Directory.GetFiles(Path.Combine(Blobs.Root, "sha256"), "*", SearchOption.AllDirectories).Length;

    public int TempFileCount => Directory.GetFiles(Blobs.TempFolder).Length;

    /// <summary>No row, no blob and no temp (or staged) file: what every refused request leaves.</summary>
    public async Task AssertNothingStoredAsync()
    {
        Xunit.Assert.Equal((0, 0, 0, 0), await CountRowsAsync());
        Xunit.Assert.Equal(0, BlobFileCount);
        Xunit.Assert.Equal(0, TempFileCount);
    }

    public Task<(int Datasets, int Models, int Versions, int Artifacts)> CountRowsAsync() =>
        QueryAsync(async db => (await db.Datasets.CountAsync(), await db.Models.CountAsync(m => m.LatestVersion > 0),
            await db.ModelVersions.CountAsync(), await db.Artifacts.CountAsync()));

    public async Task<Dataset> UploadAsync(IEnumerable<UploadDatasetRequest> messages, string tenant = "acme")
    {
        using var call = Datasets.UploadDataset(Tenant(tenant));
        await SendAsync(call.RequestStream, messages);
        return await call;
    }

    public async Task<byte[]> DownloadAsync(string datasetId, string tenant = "acme")
    {
        using var call = Datasets.DownloadDataset(new DownloadDatasetRequest { DatasetId = datasetId }, Tenant(tenant));
        using var bytes = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            Assert.InRange(chunk.Data.Length, 1, BlobStore.ChunkSize);
            chunk.Data.WriteTo(bytes);
        }
        return bytes.ToArray();
    }

    public async Task<ModelVersion> RegisterAsync(IEnumerable<RegisterModelVersionRequest> messages, string tenant = "acme")
    {
        using var call = Registry.RegisterModelVersion(Tenant(tenant));
        await SendAsync(call.RequestStream, messages);
        return await call;
    }

    public async Task<ModelVersion> UploadModelAsync(IEnumerable<UploadModelVersionRequest> messages, string tenant = "acme")
    {
        using var call = Models.UploadModelVersion(Tenant(tenant));
        await SendAsync(call.RequestStream, messages);
        return await call;
    }

    /// <summary>Downloads an artifact; returns its description (first message) and bytes.</summary>
    public async Task<(Artifact Artifact, byte[] Bytes)> DownloadModelAsync(DownloadModelVersionRequest request, string tenant = "acme")
    {
        using var call = Models.DownloadModelVersion(request, Tenant(tenant));
        Artifact? artifact = null;
        using var bytes = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            artifact ??= chunk.Artifact;
            chunk.Data.WriteTo(bytes);
        }
        return (artifact!, bytes.ToArray());
    }

    /// <summary>
    /// Writes a request stream as a client does. A server that rejects the call midway ends it, and the
    /// next write fails; the call's response then carries the server's status, which is what the test checks.
    /// </summary>
    private static async Task SendAsync<T>(IClientStreamWriter<T> writer, IEnumerable<T> messages)
    {
        try
        {
            foreach (var message in messages) await writer.WriteAsync(message);
            await writer.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _blobFolder.Dispose();
    }
}
