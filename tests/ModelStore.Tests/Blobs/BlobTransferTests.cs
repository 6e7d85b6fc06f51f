using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.ModelStore.Blobs;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Grpc;
using Platform.Testing;
using Platform.Transfers;

namespace Platform.ModelStore.Tests.Blobs;

/// <summary>Large blobs through the store's streaming paths: the overlapped reads and writes keep every byte in order.</summary>
public sealed class BlobTransferTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly BlobStore _store;

    public BlobTransferTests() => _store = new BlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes in pieces of varying size: smaller and larger than the file buffer, so both write paths run.</summary>
    private async Task<string> StoreAsync(byte[] bytes)
    {
        await using var upload = _store.StartUpload();
        int[] sizes = [1000, BlobStore.ChunkSize, 70_000, 2 * BlobStore.ChunkSize + 3, 1];
        for (int offset = 0, i = 0; offset < bytes.Length; i++)
        {
            var count = Math.Min(sizes[i % sizes.Length], bytes.Length - offset);
            await upload.WriteAsync(bytes.AsMemory(offset, count), CancellationToken.None);
            offset += count;
        }
        return await upload.CommitAsync(CancellationToken.None);
    }

    /// <summary>
    /// A request body (the byte stream's upload) of every awkward length: empty, around a 4 KiB page, around the 4 MiB
    /// piece, and many pieces (past a 64 MiB background flush) with a short tail, read from a stream that hands out odd
    /// amounts as a socket does. Stored under a folder on disk (whole pieces with direct I/O, the tail through the page
    /// cache) and under a tmpfs one (/dev/shm on Linux), the stored bytes and the hash are those sent.
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(4095, false)]
    [InlineData(4096, false)]
    [InlineData(4097, false)]
    [InlineData(AlignedBuffer.Bytes - 1, false)]
    [InlineData(AlignedBuffer.Bytes, false)]
    [InlineData(AlignedBuffer.Bytes + 1, false)]
    [InlineData(5 * BlobStore.ChunkSize + 12_345, false)]
    [InlineData(70 * BlobStore.ChunkSize + 12_345, false)]
    [InlineData(4097, true)]
    [InlineData(20 * BlobStore.ChunkSize + 12_345, true)]
    public async Task A_streamed_body_of_any_length_is_stored_byte_for_byte(int length, bool onTmpfs)
    {
        using var tmpfs = onTmpfs && OperatingSystem.IsLinux() ? new TempFolder("/dev/shm") : null;
        var store = tmpfs is null ? _store : new BlobStore(tmpfs.Path);
        var bytes = RandomBytes(length);

        string sha256;
        await using (var upload = store.StartUpload())
        {
            Assert.Equal(length, await upload.ReceiveAsync(new TrickleStream(bytes), long.MaxValue, CancellationToken.None));
            Assert.Equal(length, upload.Length);
            sha256 = await upload.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(store.PathOf(sha256)));
        Assert.Empty(Directory.GetFiles(store.TempFolder));
    }

    /// <summary>
    /// Chunks first, then a stream: after an odd-length chunk the stream's pieces go through the page cache, after a
    /// whole 4 KiB block they are written with direct I/O from there on; either way the bytes land in order.
    /// </summary>
    [Theory]
    [InlineData(1000)]
    [InlineData(4096)]
    public async Task A_streamed_body_after_gRPC_chunks_is_appended_in_order(int chunked)
    {
        var bytes = RandomBytes(2 * BlobStore.ChunkSize + 777);

        string sha256;
        await using (var upload = _store.StartUpload())
        {
            await upload.WriteAsync(bytes.AsMemory(0, chunked), CancellationToken.None);
            await upload.ReceiveAsync(new TrickleStream(bytes[chunked..]), long.MaxValue, CancellationToken.None);
            sha256 = await upload.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.PathOf(sha256)));
    }

    [Fact]
    public async Task A_streamed_body_over_the_limit_stops_there_and_leaves_nothing()
    {
        // Three pieces; the limit falls inside the second, so the third is never read.
        var bytes = RandomBytes(3 * AlignedBuffer.Bytes);

        await using (var upload = _store.StartUpload())
        {
            var received = await upload.ReceiveAsync(new TrickleStream(bytes), AlignedBuffer.Bytes + 10, CancellationToken.None);
            Assert.True(received > AlignedBuffer.Bytes + 10, $"{received} bytes reported");
            Assert.True(received < bytes.Length, "it read on past the limit");
        }

        Assert.Empty(Directory.GetFiles(_store.TempFolder));
    }

    [Fact]
    public async Task A_streamed_body_cut_off_midway_fails_and_leaves_nothing()
    {
        var bytes = RandomBytes(3 * BlobStore.ChunkSize);

        await using (var upload = _store.StartUpload())
        {
            await Assert.ThrowsAsync<IOException>(() =>
                upload.ReceiveAsync(new TrickleStream(bytes, failAfter: 2 * BlobStore.ChunkSize + 5), long.MaxValue, CancellationToken.None));
        }

        Assert.Empty(Directory.GetFiles(_store.TempFolder));
    }

    [Fact]
    public async Task A_blob_of_several_chunks_is_hashed_stored_and_read_back_in_order()
    {
        var bytes = RandomBytes(3 * BlobStore.ChunkSize + 123_457);

        var sha256 = await StoreAsync(bytes);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.PathOf(sha256)));
        var chunks = new List<byte[]>();
        await foreach (var chunk in _store.ReadAsync(sha256, "test blob", CancellationToken.None))
            chunks.Add(chunk.ToArray()); // each chunk is valid until the next is requested
        Assert.Equal([BlobStore.ChunkSize, BlobStore.ChunkSize, BlobStore.ChunkSize, 123_457], chunks.Select(c => c.Length));
        Assert.Equal(bytes, chunks.SelectMany(c => c).ToArray());
    }

    [Fact]
    public async Task A_reader_that_stops_early_leaves_the_blob_readable_again()
    {
        var bytes = RandomBytes(2 * BlobStore.ChunkSize + 10);
        var sha256 = await StoreAsync(bytes);

        await foreach (var _ in _store.ReadAsync(sha256, "test blob", CancellationToken.None))
            break;

        using var copy = new MemoryStream();
        await foreach (var chunk in _store.ReadAsync(sha256, "test blob", CancellationToken.None))
            copy.Write(chunk.Span);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task A_large_blob_changed_on_disk_fails_as_data_loss_after_its_last_chunk()
    {
        var bytes = RandomBytes(2 * BlobStore.ChunkSize + 10);
        var sha256 = await StoreAsync(bytes);
        await using (var file = new FileStream(_store.PathOf(sha256), FileMode.Open, FileAccess.Write))
        {
            file.Position = BlobStore.ChunkSize + 5;
            file.WriteByte((byte)(bytes[BlobStore.ChunkSize + 5] ^ 0xFF));
        }

        var read = 0L;
        var error = await Assert.ThrowsAsync<DataLossException>(async () =>
        {
            await foreach (var chunk in _store.ReadAsync(sha256, "test blob", CancellationToken.None))
                read += chunk.Length;
        });

        Assert.Equal(bytes.Length, read);
        Assert.Contains("no longer match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hosts_let_an_uploader_send_several_chunks_ahead_and_keep_larger_configured_windows()
    {
        var defaults = new Http2Limits();
        Assert.True(defaults.InitialStreamWindowSize < BlobStore.ChunkSize); // why every host raises it

        GrpcTransfer.ConfigureServer(defaults);
        var larger = new Http2Limits { InitialConnectionWindowSize = 64 * 1024 * 1024, InitialStreamWindowSize = 32 * 1024 * 1024 };
        GrpcTransfer.ConfigureServer(larger);

        Assert.True(defaults.InitialStreamWindowSize >= 4 * BlobStore.ChunkSize);
        Assert.True(defaults.InitialConnectionWindowSize >= defaults.InitialStreamWindowSize);
        Assert.Equal((64 * 1024 * 1024, 32 * 1024 * 1024), (larger.InitialConnectionWindowSize, larger.InitialStreamWindowSize));
    }

    [Fact]
    public void Internal_clients_let_a_download_run_several_chunks_ahead()
    {
        using var handler = GrpcTransfer.CreateClientHandler();

        Assert.True(handler.InitialHttp2StreamWindowSize >= 4 * BlobStore.ChunkSize);
        Assert.True(handler.EnableMultipleHttp2Connections);
    }
}
