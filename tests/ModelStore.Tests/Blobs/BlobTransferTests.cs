using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.ModelStore.Blobs;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Grpc;

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
