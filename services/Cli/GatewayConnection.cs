using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Cli;

/// <summary>
/// One channel to the gateway and the public API's clients on it. Every call carries the tenant header
/// when a tenant was chosen; without one the platform acts for its default tenant.
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

    public GatewayConnection(Uri address, string? tenant)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = StreamWindowBytes, EnableMultipleHttp2Connections = true },
        });
        var invoker = string.IsNullOrEmpty(tenant)
            ? _channel.CreateCallInvoker()
            : _channel.Intercept(headers =>
            {
                headers.Add(TenantHeader, tenant);
                return headers;
            });
        Datasets = new DatasetService.DatasetServiceClient(invoker);
        Jobs = new JobService.JobServiceClient(invoker);
        Models = new ModelService.ModelServiceClient(invoker);
    }

    public DatasetService.DatasetServiceClient Datasets { get; }

    public JobService.JobServiceClient Jobs { get; }

    public ModelService.ModelServiceClient Models { get; }

    public void Dispose() => _channel.Dispose();
}
