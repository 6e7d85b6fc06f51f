using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Platform.ModelStore.Grpc;

/// <summary>HTTP/2 settings for streaming artifacts and data sets through the store at disk speed.</summary>
public static class ArtifactTransfer
{
    /// <summary>
    /// How many bytes of one upload a client may send before the store has read them: 8 MiB, several 1 MiB chunks.
    /// Kestrel's default (768 KiB) is less than one chunk, so a client waited for a WINDOW_UPDATE after every chunk and
    /// the store sat idle meanwhile. The store buffers at most this much per upload, so memory stays bounded.
    /// </summary>
    public const int StreamWindowBytes = 8 * 1024 * 1024;

    /// <summary>The same for all streams of one connection together: room for two uploads at full speed.</summary>
    public const int ConnectionWindowBytes = 2 * StreamWindowBytes;

    /// <summary>Applies the windows to the store's Kestrel listeners.</summary>
    public static void ConfigureHttp2(Http2Limits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.InitialConnectionWindowSize = Math.Max(limits.InitialConnectionWindowSize, ConnectionWindowBytes);
        limits.InitialStreamWindowSize = Math.Max(limits.InitialStreamWindowSize, StreamWindowBytes);
    }
}
