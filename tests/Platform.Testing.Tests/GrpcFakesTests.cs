using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Platform.Testing.Grpc;

namespace Platform.Testing.Tests;

public sealed class GrpcFakesTests
{
    [Fact]
    public void A_tenant_context_carries_the_tenant_header()
    {
        using var context = TestServerCallContext.ForTenant("acme");

        Assert.Equal("acme", context.RequestHeaders.GetValue("x-tenant-id"));
    }

    [Fact]
    public async Task The_context_keeps_what_the_service_sent_back()
    {
        using var context = new TestServerCallContext();

        await context.WriteResponseHeadersAsync(new Metadata { { "x-job-id", "42" } });
        context.ResponseTrailers.Add("x-retry-after", "5");
        context.Status = new Status(StatusCode.NotFound, "job 42 not found");

        Assert.Equal("42", context.ResponseHeaders!.GetValue("x-job-id"));
        Assert.Equal("5", context.ResponseTrailers.GetValue("x-retry-after"));
        Assert.Equal(StatusCode.NotFound, context.Status.StatusCode);
    }

    [Fact]
    public async Task Cancelling_the_call_stops_writes_to_the_response_stream()
    {
        using var context = new TestServerCallContext();
        var writer = new TestServerStreamWriter<string>(context);
        await writer.WriteAsync("queued");

        context.Cancel();

        Assert.True(context.CancellationToken.IsCancellationRequested);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync("running"));
        Assert.Equal(["queued"], writer.Messages);
    }

    [Fact]
    public async Task The_stream_writer_yields_messages_in_order_until_completed()
    {
        var writer = new TestServerStreamWriter<string>();
        var reading = Task.Run(async () =>
        {
            var seen = new List<string>();
            await foreach (var message in writer.ReadAllAsync())
                seen.Add(message);
            return seen;
        });

        await writer.WriteAsync("queued");
        await writer.WriteAsync("running");
        await writer.WriteAsync("succeeded");
        writer.Complete();

        Assert.Equal(["queued", "running", "succeeded"], await reading);
    }

    [Fact]
    public async Task A_written_message_is_kept_as_sent_even_if_its_buffer_changes_afterwards()
    {
        var writer = new TestServerStreamWriter<BytesValue>();
        var buffer = new byte[] { 1, 2, 3 };

        await writer.WriteAsync(new BytesValue { Value = UnsafeByteOperations.UnsafeWrap(buffer) });
        buffer[0] = 9; // a real server has serialized the message by now

        Assert.Equal([1, 2, 3], writer.Messages.Single().Value.ToByteArray());
    }

    [Fact]
    public async Task The_stream_reader_yields_the_list_then_ends()
    {
        var reader = new TestAsyncStreamReader<string>("header", "chunk 1", "chunk 2");
        var seen = new List<string>();

        while (await reader.MoveNext(CancellationToken.None))
            seen.Add(reader.Current);

        Assert.Equal(["header", "chunk 1", "chunk 2"], seen);
        Assert.Throws<InvalidOperationException>(() => reader.Current);
    }

    [Fact]
    public async Task The_stream_reader_throws_when_the_call_is_cancelled()
    {
        var reader = new TestAsyncStreamReader<string>("header");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.MoveNext(new CancellationToken(canceled: true)));
    }
}
