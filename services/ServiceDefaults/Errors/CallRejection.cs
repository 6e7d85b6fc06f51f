using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Rejections that happen before a call reaches its service (authentication, authorization, rate limits): a gRPC
/// call gets a trailers-only response with the status and message, as a service's own failure would; a byte-stream
/// request gets problem details whose title is the same status name (as <see cref="Transfers.ByteStreamProblems"/>).
/// </summary>
public static class CallRejection
{
    /// <summary>Ends the request with <paramref name="status"/> and <paramref name="message"/>.</summary>
    public static Task WriteAsync(HttpContext http, StatusCode status, string message)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Response.HasStarted) return Task.CompletedTask;
        if (IsGrpc(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
            // The gRPC spec percent-encodes grpc-message; clients decode it.
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }
        var code = status switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            StatusCode.NotFound => StatusCodes.Status404NotFound,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        };
        return Results.Problem(detail: message, statusCode: code, title: status.ToString()).ExecuteAsync(http);
    }

    /// <summary>Whether the request is a gRPC call (content type <c>application/grpc</c>, with or without a suffix).</summary>
    public static bool IsGrpc(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
    }
}
