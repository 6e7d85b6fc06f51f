using System.Diagnostics;
using System.Net;
using Platform.ServiceDefaults.Tenancy;
using Platform.ServiceDefaults.Transfers;
using Yarp.ReverseProxy.Forwarder;

namespace Platform.Gateway.Transfers;

/// <summary>
/// Relays the model store's byte stream (docs/registry.md, "Byte stream") from the gateway's transfers port to the
/// store's (<c>Services:ModelStoreTransfers</c>), with YARP's direct forwarder: bodies stream through in both
/// directions, never buffered whole, headers (<c>Repr-Digest</c>, <c>Content-Length</c>, the tenant) pass unchanged,
/// and the store's status and problem details come back as they are. The tenant header is validated here, at the edge,
/// as the gRPC forwarders do.
/// </summary>
public static class ByteStreamRelay
{
    /// <summary>The configuration key of the store's transfers address (for example <c>http://model-store:8082</c>).</summary>
    public const string BackendKey = "Services:ModelStoreTransfers";

    /// <summary>Registers the forwarder when <see cref="BackendKey"/> is set, and listens on the transfers port.</summary>
    public static WebApplicationBuilder AddByteStreamRelay(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.Configuration[BackendKey])) return builder;
        builder.AddByteStreamListener();
        builder.Services.AddHttpForwarder();
        return builder;
    }

    /// <summary>Maps <c>/v1/**</c> on the transfers port to the store's byte stream, when configured.</summary>
    public static WebApplication MapByteStreamRelay(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var backend = app.Configuration[BackendKey];
        if (string.IsNullOrEmpty(backend)) return app;
        var destination = new Uri(backend).GetLeftPart(UriPartial.Authority);
        // One connection pool to the store, without proxies, cookies, redirects or decompression: bytes pass as they are.
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        // The store's port is plain HTTP/1.1.
        var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        app.MapByteStreamGroup("/v1").Map("/{**path}", async (HttpContext http, IHttpForwarder forwarder) =>
        {
            Tenant.From(http); // a malformed tenant is refused here (400), as at the gRPC edge
            var error = await forwarder.SendAsync(http, destination, client, config, HttpTransformer.Default);
            if (error != ForwarderError.None && !http.Response.HasStarted)
                return Results.Problem(detail: $"the model store's byte stream could not be reached ({error})",
                    statusCode: StatusCodes.Status502BadGateway, title: "Unavailable");
            return Results.Empty;
        });
        return app;
    }
}
