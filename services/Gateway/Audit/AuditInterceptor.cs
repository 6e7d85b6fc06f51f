using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Platform.Authentication;
using Platform.ServiceDefaults.Grpc;

namespace Platform.Gateway.Audit;

/// <summary>
/// Audits the gateway's state-changing gRPC calls (<see cref="AccessRule.ChangesState"/>): after the call, with its
/// outcome, the resource it named (identifier fields of the request, such as <c>model_name</c> and <c>version</c>) or
/// created (the id in the response). Read calls pass through untouched.
/// </summary>
internal sealed class AuditInterceptor(AuditLog audit) : Interceptor
{
    /// <summary>Request and response fields that identify a resource; nothing else is ever copied into the log.</summary>
    private static readonly string[] IdentifierFields =
        ["tenant_id", "dataset_id", "job_id", "model_name", "version", "alias", "version_id", "reference", "artifact", "id", "name"];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!IsAudited(context)) return await continuation(request, context);
        TResponse? response = default;
        var outcome = StatusCode.OK;
        try
        {
            response = await continuation(request, context);
            return response;
        }
        catch (Exception ex)
        {
            outcome = ErrorMappingInterceptor.StatusOf(ex, context);
            throw;
        }
        finally
        {
            await RecordAsync(context, Describe(request as IMessage, response as IMessage), outcome);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!IsAudited(context)) return await continuation(requestStream, context);
        TResponse? response = default;
        var outcome = StatusCode.OK;
        try
        {
            response = await continuation(requestStream, context);
            return response;
        }
        catch (Exception ex)
        {
            outcome = ErrorMappingInterceptor.StatusOf(ex, context);
            throw;
        }
        finally
        {
            await RecordAsync(context, Describe(null, response as IMessage), outcome);
        }
    }

    private static bool IsAudited(ServerCallContext context) =>
        AccessTable.Rules.TryGetValue(context.Method, out var rule) && rule.ChangesState;

    private Task RecordAsync(ServerCallContext context, string resource, StatusCode outcome)
    {
        var http = context.GetHttpContext();
        return audit.RecordAsync(Caller.Of(context), context.Method, resource, outcome.ToString(), ClientAddress(http));
    }

    /// <summary>A byte-stream response's status as the gRPC status name the same outcome has (the problem titles use them too).</summary>
    public static string Outcome(int httpStatus) => httpStatus switch
    {
        >= 200 and < 300 => nameof(StatusCode.OK),
        400 => nameof(StatusCode.InvalidArgument),
        401 => nameof(StatusCode.Unauthenticated),
        403 => nameof(StatusCode.PermissionDenied),
        404 => nameof(StatusCode.NotFound),
        409 => nameof(StatusCode.FailedPrecondition),
        413 or 429 => nameof(StatusCode.ResourceExhausted),
        422 => nameof(StatusCode.DataLoss),
        _ => $"HTTP {httpStatus}",
    };

    /// <summary>The client's address as the gateway's socket saw it.</summary>
    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary><c>model_name=penguins version=3 alias=production</c>: the identifiers of the request, then of the response.</summary>
    public static string Describe(IMessage? request, IMessage? response)
    {
        var text = new StringBuilder();
        Append(text, request, "");
        Append(text, response, "→ ");
        return text.ToString().Trim();
    }

    private static void Append(StringBuilder text, IMessage? message, string prefix)
    {
        if (message is null) return;
        // Responses that wrap the resource (CreatedApiKey.key) are described by what they wrap.
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.Message && !field.IsRepeated && !field.IsMap && field.Accessor.GetValue(message) is IMessage inner
                && inner.Descriptor.FindFieldByName("id") is not null)
            {
                Append(text, inner, prefix);
                return;
            }
        }
        var first = true;
        foreach (var name in IdentifierFields)
        {
            if (message.Descriptor.FindFieldByName(name) is not { IsRepeated: false, IsMap: false } field) continue;
            var value = field.Accessor.GetValue(message) switch
            {
                string s => s,
                int n when n != 0 => n.ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (string.IsNullOrEmpty(value)) continue;
            text.Append(first ? prefix : "").Append(name).Append('=').Append(value.Length > 64 ? value[..64] + "…" : value).Append(' ');
            first = false;
        }
    }
}
