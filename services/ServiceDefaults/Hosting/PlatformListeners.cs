using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults.Hosting;

/// <summary>One Kestrel listener of a host; it knows its port once bound (also when 0 let the system pick one).</summary>
public sealed class PlatformListener(string name)
{
    private ListenOptions? _listen;

    /// <summary>What the listener is for ("grpc", "internal", "transfers", "internal-transfers"), for messages.</summary>
    public string Name { get; } = name;

    /// <summary>Whether a Kestrel endpoint was configured for it.</summary>
    public bool IsBound => _listen is not null;

    /// <summary>The port it listens on, once the server has started.</summary>
    public int Port => _listen?.IPEndPoint?.Port ?? throw new InvalidOperationException($"The {Name} listener is not bound yet.");

    internal void Attach(ListenOptions listen) => _listen = listen;

    /// <summary>Whether a request arrived on this listener: by the socket's local port, never by the Host header a client sends.</summary>
    public bool Received(HttpContext context) =>
        _listen?.IPEndPoint is { } endPoint && context.Connection.LocalPort == endPoint.Port;
}

/// <summary>
/// The listeners of a host and which callers each is for. In a cluster every service has one gRPC port and the model
/// store and gateway one transfers port: the gateway's are public, the backends' internal (reachable, but only with the
/// service credential). The standalone host runs the gateway and the backends in one process: the gateway on the
/// public ports, the backends on two more, loopback-only ports (<see cref="InternalPortKey"/>,
/// <see cref="InternalTransfersPortKey"/>), so that it exposes exactly what a cluster exposes. Endpoints are tied to a
/// listener with <see cref="ListenerEndpoints.RequireListener"/> (see docs/security.md).
/// </summary>
public sealed class PlatformListeners
{
    /// <summary>The gRPC port: the public API in the gateway and the standalone host, the backend's API elsewhere.</summary>
    public const string GrpcPortKey = "Platform:Ports:Grpc";

    /// <summary>A separate, loopback-only gRPC port for the backends (the standalone host sets it).</summary>
    public const string InternalPortKey = "Platform:Ports:Internal";

    /// <summary>The byte stream's port (HTTP/1.1).</summary>
    public const string TransfersPortKey = "Platform:Ports:Transfers";

    /// <summary>A separate, loopback-only byte-stream port for the model store (the standalone host sets it).</summary>
    public const string InternalTransfersPortKey = "Platform:Ports:InternalTransfers";

    /// <summary>The default of <see cref="TransfersPortKey"/>.</summary>
    public const int DefaultTransfersPort = 8082;

    private readonly PlatformListener? _internalGrpc;
    private readonly PlatformListener? _internalTransfers;

    internal PlatformListeners(bool separateInternalGrpc, bool separateInternalTransfers)
    {
        _internalGrpc = separateInternalGrpc ? new PlatformListener("internal") : null;
        _internalTransfers = separateInternalTransfers ? new PlatformListener("internal-transfers") : null;
    }

    /// <summary>The gRPC listener (<see cref="GrpcPortKey"/>).</summary>
    public PlatformListener Grpc { get; } = new("grpc");

    /// <summary>Where the backends' gRPC services answer: the internal port when the host has one, else <see cref="Grpc"/>.</summary>
    public PlatformListener InternalGrpc => _internalGrpc ?? Grpc;

    /// <summary>The byte stream's listener (<see cref="TransfersPortKey"/>), when the host serves or relays it.</summary>
    public PlatformListener Transfers { get; } = new("transfers");

    /// <summary>Where the model store's byte stream answers: the internal transfers port when the host has one, else <see cref="Transfers"/>.</summary>
    public PlatformListener InternalTransfers => _internalTransfers ?? Transfers;

    internal IEnumerable<PlatformListener> Separate => new[] { _internalGrpc, _internalTransfers }.OfType<PlatformListener>();
}

/// <summary>Ties endpoints to a listener: a request on another port does not match them (404, or the other listener's endpoint).</summary>
public static class ListenerEndpoints
{
    /// <summary>The endpoints answer only on <paramref name="listener"/>.</summary>
    public static TBuilder RequireListener<TBuilder>(this TBuilder builder, PlatformListener listener) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(listener);
        return builder.WithMetadata(new ListenerMetadata(listener));
    }

    internal static void Bind(PlatformListener listener, Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel,
        IPAddress address, int port, HttpProtocols protocols, ServerTls? tls = null) =>
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = protocols;
            tls?.Apply(listen);
            listener.Attach(listen);
        });
}

/// <summary>Endpoint metadata: the listener an endpoint answers on.</summary>
public sealed record ListenerMetadata(PlatformListener Listener);

/// <summary>
/// Drops candidate endpoints tied to another listener than the one the request came in on. This is what lets the
/// standalone host map the gateway's public <c>DatasetService</c> on the public port and the model store's on the
/// internal port under the same gRPC paths; it goes by the socket, so a forged Host header changes nothing.
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(endpoint => endpoint.Metadata.GetMetadata<ListenerMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i)
                && candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>() is { } metadata
                && !metadata.Listener.Received(httpContext))
                candidates.SetValidity(i, false);
        }
        return Task.CompletedTask;
    }
}
