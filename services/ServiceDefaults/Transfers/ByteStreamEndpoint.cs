using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults.Transfers;

/// <summary>
/// The byte stream's own listener: plain HTTP/1.1 on <c>Platform:Ports:Transfers</c> (default 8082; 0 lets the system
/// pick a free port). A separate port because Kestrel cannot serve HTTP/1.1 and cleartext HTTP/2 (gRPC) on one
/// port, and HTTP/1.1 is what moves bulk bytes cheaply on .NET (docs/registry.md, "Performance").
/// </summary>
public sealed class ByteStreamListener
{
    /// <summary>The configuration key of the port.</summary>
    public const string PortKey = "Platform:Ports:Transfers";

    /// <summary>The default port.</summary>
    public const int DefaultPort = 8082;

    private ListenOptions? _listen;

    /// <summary>The port it listens on, once the server has started (the bound one when 0 was configured).</summary>
    public int Port => _listen?.IPEndPoint?.Port ?? throw new InvalidOperationException("The transfers listener is not bound yet.");

    internal void Attach(ListenOptions listen) => _listen = listen;

    /// <summary>Whether a request arrived on this listener (the byte-stream routes answer nowhere else).</summary>
    public bool Received(HttpContext context) =>
        _listen?.IPEndPoint is { } endPoint && context.Connection.LocalPort == endPoint.Port;
}

/// <summary>Adds the byte-stream listener to a host and maps its routes with the platform's HTTP error mapping.</summary>
public static class ByteStreamEndpoint
{
    /// <summary>
    /// Listens for the byte stream on <c>Platform:Ports:Transfers</c>, next to the host's gRPC and health ports; over TLS
    /// when <c>Platform:Tls</c> is set, as the gRPC port.
    /// </summary>
    public static WebApplicationBuilder AddByteStreamListener(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Configuration.GetValue(ByteStreamListener.PortKey, ByteStreamListener.DefaultPort);
        var bindAddress = IPAddress.Parse(builder.Configuration.GetValue("Platform:BindAddress", "0.0.0.0")!);
        var listener = new ByteStreamListener();
        var tls = ServerTls.From(builder.Configuration);
        builder.Services.AddSingleton(listener);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(bindAddress, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            tls?.Apply(listen);
            listener.Attach(listen);
        }));
        return builder;
    }

    /// <summary>
    /// A route group for byte-stream routes: they answer only on the transfers listener (404 elsewhere), and domain
    /// failures become problem details (<see cref="ByteStreamProblems"/>), the HTTP side of the gRPC error interceptor.
    /// </summary>
    public static RouteGroupBuilder MapByteStreamGroup(this IEndpointRouteBuilder app, string prefix)
    {
        ArgumentNullException.ThrowIfNull(app);
        var listener = app.ServiceProvider.GetRequiredService<ByteStreamListener>();
        var group = app.MapGroup(prefix);
        group.AddEndpointFilter(async (context, next) =>
        {
            if (!listener.Received(context.HttpContext)) return Results.NotFound();
            try
            {
                return await next(context);
            }
            catch (PlatformException ex)
            {
                return ByteStreamProblems.From(ex);
            }
        });
        return group;
    }
}

/// <summary>The one place where domain exceptions become HTTP statuses on the byte stream (as gRPC statuses elsewhere).</summary>
public static class ByteStreamProblems
{
    /// <summary>
    /// InvalidArgument → 400 (with <c>field</c>), NotFound → 404, FailedPrecondition and AlreadyExists → 409,
    /// DataLoss (bytes that do not match their digest or were cut short) → 422, ResourceExhausted (a quota, with
    /// <c>field</c> naming it) → 429. The detail is the exception's message, the same text a gRPC caller gets.
    /// </summary>
    public static IResult From(PlatformException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var (status, title) = exception switch
        {
            InvalidArgumentException => (StatusCodes.Status400BadRequest, "InvalidArgument"),
            NotFoundException => (StatusCodes.Status404NotFound, "NotFound"),
            FailedPreconditionException => (StatusCodes.Status409Conflict, "FailedPrecondition"),
            AlreadyExistsException => (StatusCodes.Status409Conflict, "AlreadyExists"),
            DataLossException => (StatusCodes.Status422UnprocessableEntity, "DataLoss"),
            ResourceExhaustedException => (StatusCodes.Status429TooManyRequests, "ResourceExhausted"),
            _ => (StatusCodes.Status500InternalServerError, "Internal"),
        };
        var extensions = exception switch
        {
            InvalidArgumentException invalid => new Dictionary<string, object?> { ["field"] = invalid.Field },
            ResourceExhaustedException exhausted => new Dictionary<string, object?> { ["field"] = exhausted.Limit },
            _ => null,
        };
        return Results.Problem(detail: exception.Message, statusCode: status, title: title, extensions: extensions);
    }

    /// <summary>
    /// 413 titled ResourceExhausted (the status a gRPC caller gets for the same limit): a body over the configured
    /// limit; <paramref name="field"/> names the limit.
    /// </summary>
    public static IResult TooLarge(string field, string detail) =>
        Results.Problem(detail: $"{field}: {detail}", statusCode: StatusCodes.Status413PayloadTooLarge, title: "ResourceExhausted",
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
