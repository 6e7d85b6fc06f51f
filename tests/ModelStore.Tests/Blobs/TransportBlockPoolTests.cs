using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Grpc;

namespace Platform.ModelStore.Tests.Blobs;

/// <summary>
/// The memory Kestrel reads sockets into on every host: 64 KiB blocks (a socket read takes up to that much at once),
/// reused, and a bounded number kept when idle.
/// </summary>
public sealed class TransportBlockPoolTests
{
    [Fact]
    public async Task Every_host_gives_kestrel_the_large_block_pool()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = "0",
            ["Platform:Ports:Http"] = "0",
        });
        builder.AddServiceDefaults();
        await using var app = builder.Build();

        // Kestrel registers its own factory first; the one resolved is what its socket transport uses.
        Assert.IsType<TransportBlockPoolFactory>(app.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }

    [Fact]
    public void Blocks_are_64_KiB_and_reused_once_returned()
    {
        using var pool = new TransportBlockPoolFactory().Create();

        var first = pool.Rent();
        Assert.Equal(TransportBlockPoolFactory.BlockBytes, first.Memory.Length);
        Assert.Equal(TransportBlockPoolFactory.BlockBytes, pool.MaxBufferSize);
        first.Memory.Span[0] = 42;
        first.Dispose();
        using var second = pool.Rent(1000);

        Assert.Equal(42, second.Memory.Span[0]); // the same block again, not a new allocation
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
    }

    [Fact]
    public void A_block_returned_twice_goes_back_once()
    {
        using var pool = new TransportBlockPoolFactory().Create();
        var lease = pool.Rent();
        lease.Memory.Span[0] = 7;
        lease.Dispose();
        lease.Dispose();

        using var a = pool.Rent();
        using var b = pool.Rent();

        // Two live leases never share memory: a double return would hand the same block out twice.
        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span));
    }

    [Fact]
    public void An_idle_pool_keeps_at_most_the_retention_limit()
    {
        using var pool = new TransportBlockPoolFactory().Create();
        var leases = Enumerable.Range(0, TransportBlockPoolFactory.MaxRetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        var blocks = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        foreach (var lease in leases)
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(lease.Memory, out var segment));
            blocks.Add(segment.Array!);
            lease.Dispose();
        }

        var reused = 0;
        var again = Enumerable.Range(0, TransportBlockPoolFactory.MaxRetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        foreach (var lease in again)
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(lease.Memory, out var segment));
            if (blocks.Contains(segment.Array!)) reused++;
            lease.Dispose();
        }

        Assert.Equal(TransportBlockPoolFactory.MaxRetainedBlocks, reused);
    }

    [Fact]
    public void Asking_for_more_than_a_block_fails_instead_of_returning_less()
    {
        using var pool = new TransportBlockPoolFactory().Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(TransportBlockPoolFactory.BlockBytes + 1));
    }
}
