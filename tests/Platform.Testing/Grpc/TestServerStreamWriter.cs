using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;

namespace Platform.Testing.Grpc;

/// <summary>
/// Collects what a server-streaming gRPC method writes. <see cref="Messages"/> holds everything written so far;
/// <see cref="ReadAllAsync"/> yields messages as they are written, for methods that stream until cancelled.
/// </summary>
/// <remarks>
/// Like a real server's writer, it has serialized a protobuf message by the time <see cref="WriteAsync"/> completes:
/// it keeps a copy made from the message's bytes, so a method that reuses a buffer after the write (a download that
/// wraps pooled chunks) is tested as it runs in production.
/// </remarks>
/// <typeparam name="T">The response message type.</typeparam>
/// <param name="context">The call's context: once it is cancelled, writes fail as they would on a real server.</param>
public sealed class TestServerStreamWriter<T>(ServerCallContext? context = null) : IServerStreamWriter<T>
    where T : class
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>();
    private readonly List<T> _messages = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public WriteOptions? WriteOptions { get; set; }

    /// <summary>A snapshot of the messages written so far, in order.</summary>
    public IReadOnlyList<T> Messages
    {
        get
        {
            lock (_lock)
                return [.. _messages];
        }
    }

    /// <inheritdoc />
    public Task WriteAsync(T message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (context?.CancellationToken.IsCancellationRequested == true)
            return Task.FromCanceled(context.CancellationToken);
        if (message is IMessage proto)
            message = (T)proto.Descriptor.Parser.ParseFrom(proto.ToByteString());
        lock (_lock)
            _messages.Add(message);
        _channel.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    /// <summary>Marks the stream finished (call it when the service method returns) so <see cref="ReadAllAsync"/> ends.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Messages in the order written, waiting for new ones until <see cref="Complete"/> or cancellation.</summary>
    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _channel.Reader.ReadAllAsync(cancellationToken);
}
