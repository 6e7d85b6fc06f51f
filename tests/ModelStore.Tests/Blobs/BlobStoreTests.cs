using System.Security.Cryptography;
using Platform.ModelStore.Blobs;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Tests.Blobs;

public sealed class BlobStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly BlobStore _store;

    public BlobStoreTests() => _store = new BlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private async Task<string> StoreAsync(byte[] bytes, int chunkSize = BlobStore.ChunkSize)
    {
        await using var upload = _store.StartUpload();
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
            await upload.WriteAsync(bytes.AsMemory(offset, Math.Min(chunkSize, bytes.Length - offset)), CancellationToken.None);
        return await upload.CommitAsync(CancellationToken.None);
    }

    private async Task<byte[]> ReadAsync(string sha256)
    {
        using var copy = new MemoryStream();
        await foreach (var chunk in _store.ReadAsync(sha256, "test blob", CancellationToken.None))
        {
            Assert.InRange(chunk.Length, 1, BlobStore.ChunkSize);
            copy.Write(chunk.Span);
        }
        return copy.ToArray();
    }

    [Fact]
    public async Task A_blob_is_stored_under_its_sha256_and_read_back_unchanged()
    {
        var bytes = RandomBytes(200_000);

        var sha256 = await StoreAsync(bytes, chunkSize: 1000);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(Path.Combine(_folder.Path, "sha256", sha256[..2], sha256), _store.PathOf(sha256));
        Assert.True(File.Exists(_store.PathOf(sha256)));
        Assert.Equal(bytes, await ReadAsync(sha256));
        Assert.Empty(Directory.GetFiles(_store.TempFolder));
    }

    [Fact]
    public async Task An_empty_blob_can_be_stored()
    {
        var sha256 = await StoreAsync([]);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty)), sha256);
        Assert.Empty(await ReadAsync(sha256));
    }

    [Fact]
    public async Task Identical_content_is_stored_once()
    {
        var bytes = RandomBytes(5000);

        var first = await StoreAsync(bytes);
        var second = await StoreAsync(bytes, chunkSize: 7);

        Assert.Equal(first, second);
        Assert.Single(Directory.GetFiles(Path.Combine(_folder.Path, "sha256"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_store.TempFolder));
    }

    [Fact]
    public async Task The_hash_is_known_before_the_blob_is_committed()
    {
        var bytes = RandomBytes(100);
        await using var upload = _store.StartUpload();
        await upload.WriteAsync(bytes, CancellationToken.None);

        var sha256 = await upload.CompleteAsync(CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(100, upload.Length);
        Assert.False(_store.Exists(sha256));
        Assert.Single(Directory.GetFiles(_store.TempFolder));
    }

    [Fact]
    public async Task An_upload_disposed_without_commit_leaves_nothing()
    {
        await using (var upload = _store.StartUpload())
        {
            await upload.WriteAsync(RandomBytes(10_000), CancellationToken.None);
            Assert.Single(Directory.GetFiles(_store.TempFolder));
        }
        await using (var completed = _store.StartUpload())
        {
            await completed.WriteAsync(RandomBytes(10), CancellationToken.None);
            await completed.CompleteAsync(CancellationToken.None);
        }

        Assert.Empty(Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Reading_a_missing_blob_is_data_loss()
    {
        var missing = new string('a', 64);

        var error = await Assert.ThrowsAsync<DataLossException>(() => ReadAsync(missing));

        Assert.Contains("test blob", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_a_blob_whose_bytes_changed_on_disk_fails_after_the_last_chunk()
    {
        var sha256 = await StoreAsync(RandomBytes(1000));
        var corrupt = RandomBytes(999);
        File.WriteAllBytes(_store.PathOf(sha256), corrupt);

        var error = await Assert.ThrowsAsync<DataLossException>(() => ReadAsync(sha256));

        Assert.Contains("no longer match", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abc")]
    public void Paths_come_only_from_well_formed_hashes(string notAHash)
    {
        Assert.Throws<ArgumentException>(() => _store.PathOf(notAHash));
    }
}
