using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Platform.Authentication;

namespace Platform.Gateway.Grpc;

/// <summary>
/// How every gateway method calls its backend: the authenticated caller's tenant (<see cref="Caller"/>), deadline
/// and cancellation go along (the service credential is on the client); messages are relayed one by one as they
/// arrive, never buffered whole. A backend's <see cref="RpcException"/> is left to propagate, so the caller sees its
/// status and message unchanged.
/// </summary>
internal static class BackendCall
{
    /// <summary>The request field that records who made a change (approvals, aliases, deletions, erasure, card edits).</summary>
    public const string ActorField = "actor";

    /// <summary>Call options that act for the caller: tenant header, the caller's deadline and cancellation.</summary>
    public static CallOptions For(ServerCallContext context) =>
        new(Caller.Of(context).BackendHeaders(), context.Deadline, context.CancellationToken);

    /// <summary>
    /// Relays a unary call. A request with an <see cref="ActorField"/> gets the authenticated caller's name there,
    /// whatever the client wrote: who made a change is the identity that made the call, never a claim in the request.
    /// </summary>
    public static Task<TResponse> UnaryAsync<TRequest, TResponse>(
        TRequest request, ServerCallContext context, Func<TRequest, CallOptions, AsyncUnaryCall<TResponse>> call)
        where TRequest : IMessage
    {
        if (request.Descriptor.FindFieldByName(ActorField) is { FieldType: FieldType.String } actor)
            actor.Accessor.SetValue(request, Caller.Of(context).Name);
        return call(request, For(context)).ResponseAsync;
    }

    /// <summary>
    /// Relays a client stream to the backend message by message and returns the backend's reply. The backend may
    /// answer before the caller has sent everything (for example it rejects the header at once); its answer is
    /// returned then, without waiting for the rest of the caller's stream.
    /// </summary>
    public static async Task<TResponse> ClientStreamingAsync<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requests, ServerCallContext context,
        Func<CallOptions, AsyncClientStreamingCall<TRequest, TResponse>> start)
    {
        using var call = start(For(context));
        using var stopRelay = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var relay = RelayAsync(requests, call.RequestStream, stopRelay.Token);
        if (await Task.WhenAny(relay, call.ResponseAsync) == relay)
        {
            await relay; // A failure reading the caller's stream surfaces here; disposing the call cancels the backend's side.
        }
        else
        {
            // The backend answered first. Stop reading the caller's stream before this call ends: the server
            // recycles a finished request's body, and a read still pending on it would break a later call.
            await stopRelay.CancelAsync();
            try { await relay; }
            catch (Exception) { } // Only its end matters here; the backend's answer is the outcome.
        }
        return await call.ResponseAsync;
    }

    private static async Task RelayAsync<T>(IAsyncStreamReader<T> from, IClientStreamWriter<T> to, CancellationToken cancellationToken)
    {
        await foreach (var message in from.ReadAllAsync(cancellationToken))
        {
            if (!await BackendAcceptsAsync(to.WriteAsync(message, cancellationToken)))
                return;
        }
        await BackendAcceptsAsync(to.CompleteAsync());
    }

    /// <summary>
    /// A write fails when the backend has ended the call (or the connection to it broke, or the caller cancelled);
    /// the call's own outcome then tells the caller what happened, not the failed write.
    /// </summary>
    private static async Task<bool> BackendAcceptsAsync(Task write)
    {
        try
        {
            await write;
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Relays the backend's response stream to the caller message by message.</summary>
    public static async Task ServerStreamingAsync<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responses, ServerCallContext context,
        Func<TRequest, CallOptions, AsyncServerStreamingCall<TResponse>> start)
    {
        using var call = start(request, For(context));
        await foreach (var response in call.ResponseStream.ReadAllAsync(context.CancellationToken))
            await responses.WriteAsync(response, context.CancellationToken);
    }
}
