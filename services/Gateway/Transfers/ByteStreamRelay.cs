using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Platform.Authentication;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Security;
using Platform.ServiceDefaults.Tenancy;
using Platform.ServiceDefaults.Transfers;
using Platform.Transfers;
using Yarp.ReverseProxy.Forwarder;

namespace Platform.Gateway.Transfers;

/// <summary>
/// Relays the model store's byte stream (docs/registry.md, "Byte stream") from the gateway's transfers port to the
/// store's (<c>Services:ModelStoreTransfers</c>), with YARP's direct forwarder: bodies stream through in both
/// directions, never buffered whole, headers (<c>Repr-Digest</c>, <c>Content-Length</c>) pass unchanged, and the store's
/// status and problem details come back as they are. Only the byte stream's own routes are relayed (anything else is
/// 404), each checked against <see cref="AccessTable"/> like a gRPC call; the caller's credential stays here: the store
/// gets the service credential and the caller's tenant instead.
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
        builder.AddTransfersListener(forInternalCallers: false);
        builder.Services.AddHttpForwarder();
        return builder;
    }

    /// <summary>Maps the byte stream's routes on the public transfers port to the store's, when configured.</summary>
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

        var transformer = new CallerTransformer(app.Services.GetRequiredService<IOptions<ServiceCredentialOptions>>().Value.ServiceToken!);

        async Task<IResult> RelayAsync(HttpContext http, IHttpForwarder forwarder, Audit.AuditLog audit)
        {
            var error = await forwarder.SendAsync(http, destination, client, config, transformer);
            var unreachable = error != ForwarderError.None && !http.Response.HasStarted;
            if (AccessTable.Rules.TryGetValue(AccessTable.ActionOf(http.GetEndpoint())!, out var rule) && rule.ChangesState)
                await audit.RecordAsync(Caller.Of(http)!, AccessTable.ActionOf(http.GetEndpoint())!, $"{http.Request.ContentLength} bytes",
                    unreachable ? "Unavailable" : Audit.AuditInterceptor.Outcome(http.Response.StatusCode), Audit.AuditInterceptor.ClientAddress(http));
            if (unreachable)
                return Results.Problem(detail: $"the model store's byte stream could not be reached ({error})",
                    statusCode: StatusCodes.Status502BadGateway, title: "Unavailable");
            return Results.Empty;
        }

        var group = app.MapByteStreamGroup("", app.Services.GetRequiredService<ServiceDefaults.Hosting.PlatformListeners>().Transfers)
            .RequireAuthorization(AccessRequirement.Policy);
        group.MapGet(ByteStream.Routes.Artifact, RelayAsync);
        group.MapGet(ByteStream.Routes.Dataset, RelayAsync);
        group.MapPost(ByteStream.Routes.Upload, RelayAsync);
        group.MapDelete(ByteStream.Routes.StagedUpload, RelayAsync);
        return app;
    }

    /// <summary>
    /// What the store sees of a relayed request: the client's headers without its credential and tenant header, plus
    /// the service credential and the tenant the access check settled on.
    /// </summary>
    private sealed class CallerTransformer(string serviceToken) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Authorization = null;
            proxyRequest.Headers.Remove(Tenant.Header);
            proxyRequest.Headers.Remove(ServiceCredential.Header);
            var caller = Caller.Of(httpContext) ?? throw new InvalidOperationException("A relayed request reached the relay without a caller.");
            proxyRequest.Headers.TryAddWithoutValidation(Tenant.Header, caller.Tenant);
            proxyRequest.Headers.TryAddWithoutValidation(ServiceCredential.Header, serviceToken);
        }
    }
}
