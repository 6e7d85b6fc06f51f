using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Platform.Admin.V1;
using Platform.Sweeps.V1;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Serving.V1;
using Platform.Transfers;

namespace Platform.Cli;

/// <summary>
/// One channel to the gateway and the public API's clients on it. Every call carries the API key (when there is one)
/// and the tenant header when a tenant was chosen; without one the platform acts for the key's own tenant.
/// </summary>
public sealed class GatewayConnection : IDisposable
{
    /// <summary>The request header that names the tenant.</summary>
    public const string TenantHeader = "x-tenant-id";

    /// <summary>
    /// Size of the chunks uploads are sent in: 1 MiB, the platform's own (its services' <c>GrpcTransfer.ChunkBytes</c>;
    /// the CLI does not reference the services), so the store receives few large messages.
    /// </summary>
    public const int ChunkBytes = 1024 * 1024;

    private const int MaxMessageBytes = 8 * 1024 * 1024;

    // How far the gateway may run ahead of a download: 8 chunks. .NET's client starts at 64 KiB, less than one chunk.
    private const int StreamWindowBytes = 8 * ChunkBytes;

    private readonly GrpcChannel _channel;
    private readonly GrpcChannel? _serving;
    private readonly HttpClient? _transfers;

    /// <param name="address">The gateway's gRPC address.</param>
    /// <param name="tenant">The tenant to act for; null for the platform's default.</param>
    /// <param name="transfers">The gateway's byte-stream address (HTTP/1.1), or null to move every byte over gRPC.</param>
    /// <param name="apiKey">The API key to call with, or null for none (open standalone mode).</param>
    /// <param name="serving">The serving service's gRPC address, or null when the gateway's address serves predictions too.</param>
    public GatewayConnection(Uri address, string? tenant, Uri? transfers = null, string? apiKey = null, Uri? serving = null)
    {
        var authorization = string.IsNullOrEmpty(apiKey) ? null : "Bearer " + apiKey;
        if (transfers is not null)
        {
            // Large downloads take as long as they take; the byte stream has no per-request deadline of its own.
            _transfers = new HttpClient { BaseAddress = transfers, Timeout = Timeout.InfiniteTimeSpan };
            if (authorization is not null) _transfers.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
            Transfers = new ByteStreamClient(_transfers, string.IsNullOrEmpty(tenant) ? null : tenant);
            TransfersAddress = transfers;
        }
        _channel = Channel(address);
        CallInvoker Authorized(GrpcChannel channel) => channel.Intercept(headers =>
        {
            if (authorization is not null) headers.Add("authorization", authorization);
            if (!string.IsNullOrEmpty(tenant)) headers.Add(TenantHeader, tenant);
            return headers;
        });
        var invoker = Authorized(_channel);
        if (serving is not null && serving != address) _serving = Channel(serving);
        Predictions = new PredictionService.PredictionServiceClient(_serving is null ? invoker : Authorized(_serving));
        Admin = new AdminService.AdminServiceClient(invoker);
        Datasets = new DatasetService.DatasetServiceClient(invoker);
        Jobs = new JobService.JobServiceClient(invoker);
        Sweeps = new SweepService.SweepServiceClient(invoker);
        Models = new ModelService.ModelServiceClient(invoker);
    }

    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>The serving service's PredictionService: predictions and monitoring (<c>--serving</c>, else the gateway's address).</summary>
    public PredictionService.PredictionServiceClient Predictions { get; }

    public DatasetService.DatasetServiceClient Datasets { get; }

    public JobService.JobServiceClient Jobs { get; }

    public SweepService.SweepServiceClient Sweeps { get; }

    public ModelService.ModelServiceClient Models { get; }

    /// <summary>The byte stream's client, when the user named its address (<c>--transfers</c>); otherwise null.</summary>
    public ByteStreamClient? Transfers { get; }

    /// <summary>The byte stream's address, for messages.</summary>
    public Uri? TransfersAddress { get; }

    private static GrpcChannel Channel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = MaxMessageBytes,
        HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = StreamWindowBytes, EnableMultipleHttp2Connections = true },
    });

    public void Dispose()
    {
        _channel.Dispose();
        _serving?.Dispose();
        _transfers?.Dispose();
    }
}
