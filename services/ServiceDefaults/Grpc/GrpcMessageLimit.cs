using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Platform.ServiceDefaults.Grpc;

/// <summary>
/// The largest gRPC message a host accepts, <c>Platform:Grpc:MaxMessageBytes</c> (default
/// <see cref="GrpcTransfer.MaxMessageBytes"/>, 8 MiB: room for a 1 MiB chunk and its envelope; data sets and artifacts
/// stream in chunks, so only a malformed or hostile call comes near it). gRPC answers a larger message with
/// ResourceExhausted and a text that names neither the limit nor its value; this puts both in the status message,
/// for unary calls (read before any interceptor runs, so rewritten on the way out) and streams alike.
/// </summary>
public sealed class GrpcMessageLimit(int maxBytes)
{
    /// <summary>The configuration key.</summary>
    public const string Key = "Platform:Grpc:MaxMessageBytes";

    /// <summary>What grpc-dotnet says when a message is over the limit.</summary>
    internal const string GrpcText = "Received message exceeds the maximum configured message size.";

    /// <summary>The limit in bytes.</summary>
    public int MaxBytes { get; } = maxBytes;

    /// <summary>The status message that replaces <see cref="GrpcText"/>.</summary>
    public string Message => $"{Key}: a message is larger than this service accepts ({MaxBytes} bytes); nothing was stored";

    /// <summary>Rewrites the status message of a call refused for a message over the limit, before the response ends.</summary>
    internal sealed class StartupFilter(GrpcMessageLimit limit) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, proceed) =>
            {
                await proceed();
                // Trailers-only responses carry the status in the headers, others in the trailers.
                if (!context.Response.HasStarted) Rewrite(context.Response.Headers);
                if (context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers) Rewrite(trailers);
            });
            next(app);
        };

        private void Rewrite(IHeaderDictionary headers)
        {
            if (headers["grpc-status"] == "8" && headers["grpc-message"] == GrpcText)
                headers["grpc-message"] = limit.Message;
        }
    }
}
