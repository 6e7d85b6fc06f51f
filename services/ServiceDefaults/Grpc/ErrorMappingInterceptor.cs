using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Errors;

namespace Platform.ServiceDefaults.Grpc;

/// <summary>The one place where domain exceptions become gRPC statuses.</summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger, GrpcMessageLimit? messageLimit = null) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(request, context); }
        catch (Exception ex) when (Map(ex, context) is { } mapped) { throw mapped; }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(requestStream, context); }
        catch (Exception ex) when (Map(ex, context) is { } mapped) { throw mapped; }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(request, responseStream, context); }
        catch (Exception ex) when (Map(ex, context) is { } mapped) { throw mapped; }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(requestStream, responseStream, context); }
        catch (Exception ex) when (Map(ex, context) is { } mapped) { throw mapped; }
    }

    /// <summary>The status a failure reaches the caller with.</summary>
    public static StatusCode StatusOf(Exception exception, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        return exception is RpcException rpc ? rpc.StatusCode : Mapped(exception, context);
    }

    private RpcException? Map(Exception exception, ServerCallContext context)
    {
        // A streamed message over the limit surfaces here; say which limit, as for unary calls (GrpcMessageLimit).
        if (exception is RpcException { StatusCode: StatusCode.ResourceExhausted } tooLarge && messageLimit is not null
            && tooLarge.Status.Detail == GrpcMessageLimit.GrpcText)
            return new RpcException(new Status(StatusCode.ResourceExhausted, messageLimit.Message));
        var status = exception is RpcException ? (StatusCode?)null : Mapped(exception, context);
        if (status is null) return null;
        if (status == StatusCode.Internal)
        {
            logger.LogError(exception, "Unhandled error in {Method}", context.Method);
            return new RpcException(new Status(StatusCode.Internal, "Internal error; see the service log."));
        }
        return new RpcException(new Status(status.Value, exception.Message));
    }

    private static StatusCode Mapped(Exception exception, ServerCallContext context) =>
        exception switch
        {
            InvalidArgumentException => StatusCode.InvalidArgument,
            NotFoundException => StatusCode.NotFound,
            FailedPreconditionException => StatusCode.FailedPrecondition,
            DataLossException => StatusCode.DataLoss,
            AlreadyExistsException => StatusCode.AlreadyExists,
            PermissionDeniedException => StatusCode.PermissionDenied,
            ResourceExhaustedException => StatusCode.ResourceExhausted,
            UnavailableException => StatusCode.Unavailable,
            OperationCanceledException when context.CancellationToken.IsCancellationRequested => StatusCode.Cancelled,
            _ => StatusCode.Internal,
        };
}
