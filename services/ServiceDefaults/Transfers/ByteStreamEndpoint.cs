using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults.Transfers;

/// <summary>Adds the byte-stream listener to a host and maps its routes with the platform's HTTP error mapping.</summary>
public static class ByteStreamEndpoint
{
    /// <summary>
    /// Listens for the byte stream: plain HTTP/1.1 on <c>Platform:Ports:Transfers</c> (default 8082; 0 lets the system
    /// pick a free port), a separate port because Kestrel cannot serve HTTP/1.1 and cleartext HTTP/2 (gRPC) on one port,
    /// and HTTP/1.1 is what moves bulk bytes cheaply on .NET (docs/registry.md, "Transport ceilings"); over TLS when
    /// <c>Platform:Tls</c> is set, as the gRPC port. For the model store's own routes (<paramref name="forInternalCallers"/>)
    /// a host with <c>Platform:Ports:InternalTransfers</c> (the standalone one) listens there instead, on loopback only
    /// and without TLS. Returns the listener to map routes on.
    /// </summary>
    public static PlatformListener AddTransfersListener(this WebApplicationBuilder builder, bool forInternalCallers)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var listeners = builder.Listeners();
        var listener = forInternalCallers ? listeners.InternalTransfers : listeners.Transfers;
        if (listener.IsBound || builder.Host.Properties.ContainsKey(listener)) return listener;
        builder.Host.Properties[listener] = true;
        var separate = listener != listeners.Transfers;
        var port = builder.Configuration.GetValue(separate ? PlatformListeners.InternalTransfersPortKey : PlatformListeners.TransfersPortKey,
            PlatformListeners.DefaultTransfersPort);
        var address = separate ? IPAddress.Loopback : IPAddress.Parse(builder.Configuration.GetValue("Platform:BindAddress", "0.0.0.0")!);
        var tls = separate ? null : ServerTls.From(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => ListenerEndpoints.Bind(listener, kestrel, address, port, HttpProtocols.Http1, tls));
        return listener;
    }

    /// <summary>
    /// A route group for byte-stream routes: they answer only on <paramref name="listener"/> (404 elsewhere), and domain
    /// failures become problem details (<see cref="ByteStreamProblems"/>), the HTTP side of the gRPC error interceptor.
    /// </summary>
    public static RouteGroupBuilder MapByteStreamGroup(this IEndpointRouteBuilder app, string prefix, PlatformListener listener)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup(prefix).RequireListener(listener);
        group.AddEndpointFilter(async (context, next) =>
        {
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
            PermissionDeniedException => (StatusCodes.Status403Forbidden, "PermissionDenied"),
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
