using Grpc.Core;

namespace Platform.Testing.Grpc;

/// <summary>
/// The request stream of a client-streaming gRPC method (e.g. an upload of header then chunks), fed from a list.
/// </summary>
/// <typeparam name="T">The request message type.</typeparam>
public sealed class TestAsyncStreamReader<T> : IAsyncStreamReader<T>
    where T : class
{
    private readonly Queue<T> _messages;
    private T? _current;

    /// <summary>A stream that yields <paramref name="messages"/> in order, then ends.</summary>
    public TestAsyncStreamReader(IEnumerable<T> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        _messages = new Queue<T>(messages);
    }

    /// <summary>A stream that yields <paramref name="messages"/> in order, then ends.</summary>
    public TestAsyncStreamReader(params T[] messages)
        : this((IEnumerable<T>)messages)
    {
    }

    /// <inheritdoc />
    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    /// <inheritdoc />
    public Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        // A cancelled call stops reading with an exception, as on a real server.
        cancellationToken.ThrowIfCancellationRequested();
        _current = _messages.TryDequeue(out var next) ? next : null;
        return Task.FromResult(_current is not null);
    }
}
