using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Platform.ServiceDefaults.Grpc;

/// <summary>
/// HTTP/2 settings for the platform's large gRPC streams (data set and model artifact uploads and downloads), shared
/// by every host's Kestrel and every internal gRPC client, so flow control does not hold the bytes back and memory
/// stays bounded.
/// </summary>
/// <remarks>
/// HTTP/2 lets a sender run ahead of the receiver only by the receiver's flow-control window. The defaults (Kestrel:
/// 768 KiB per stream; .NET's client: 64 KiB, grown slowly) are smaller than one 1 MiB chunk, so a sender could wait
/// for a WINDOW_UPDATE within every chunk. With these windows a sender stays several chunks ahead; a receiver buffers
/// at most one window per stream, whatever the size of the file. See docs/registry.md, Performance.
/// </remarks>
public static class GrpcTransfer
{
    /// <summary>
    /// Size of the chunks bytes are streamed in (and of the messages downloads send): 1 MiB, large enough that gRPC's
    /// per-message cost does not dominate, and below the 4 MiB message limit gRPC clients have by default.
    /// </summary>
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>Largest message a platform host or client accepts: room for a chunk and its envelope.</summary>
    public const int MaxMessageBytes = 8 * 1024 * 1024;

    /// <summary>How far one stream's sender may run ahead of its receiver: 8 chunks.</summary>
    public const int StreamWindowBytes = 8 * ChunkBytes;

    /// <summary>The same for all streams of one connection together: room for two transfers at full speed.</summary>
    public const int ConnectionWindowBytes = 2 * StreamWindowBytes;

    /// <summary>Raises Kestrel's receive windows to at least <see cref="StreamWindowBytes"/> / <see cref="ConnectionWindowBytes"/>.</summary>
    public static void ConfigureServer(Http2Limits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.InitialConnectionWindowSize = Math.Max(limits.InitialConnectionWindowSize, ConnectionWindowBytes);
        limits.InitialStreamWindowSize = Math.Max(limits.InitialStreamWindowSize, StreamWindowBytes);
    }

    /// <summary>
    /// The HTTP handler of an internal gRPC client: a receive window of <see cref="StreamWindowBytes"/> per stream (for
    /// downloads), and more connections when one is full of streams, so a long transfer never queues the calls behind it.
    /// </summary>
    public static SocketsHttpHandler CreateClientHandler() => new()
    {
        InitialHttp2StreamWindowSize = StreamWindowBytes,
        EnableMultipleHttp2Connections = true,
    };
}
