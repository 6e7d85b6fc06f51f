using System.Security.Cryptography;
using Platform.Testing;

namespace Platform.Transfers.Tests;

/// <summary>
/// The file side of every transfer: bytes read from a stream (or handed over as chunks) are written in order and hashed
/// as they pass, whatever their length and however the source hands them out.
/// </summary>
public sealed class HashedFileWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("transfers").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Empty, around a 4 KiB block, around the 4 MiB piece, and several pieces with a short tail.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(DirectIo.Alignment - 1)]
    [InlineData(DirectIo.Alignment)]
    [InlineData(AlignedBuffer.Bytes - 1)]
    [InlineData(AlignedBuffer.Bytes + 1)]
    [InlineData(3 * AlignedBuffer.Bytes + 12_345)]
    public async Task A_stream_of_any_length_is_written_byte_for_byte_and_hashed(int length)
    {
        var bytes = RandomBytes(length);
        var path = Path.Combine(_folder, "file");

        string sha256;
        using (var file = HashedFileWriter.Create(path, FileMode.CreateNew))
        {
            Assert.Equal(length, await file.CopyFromAsync(new TrickleStream(bytes), long.MaxValue, CancellationToken.None));
            sha256 = file.Complete();
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Chunks_then_a_stream_land_in_order()
    {
        var bytes = RandomBytes(AlignedBuffer.Bytes + 777);
        var path = Path.Combine(_folder, "file");

        string sha256;
        using (var file = HashedFileWriter.Create(path, FileMode.CreateNew))
        {
            await file.WriteAsync(bytes.AsMemory(0, 1000), CancellationToken.None);
            await file.CopyFromAsync(new TrickleStream(bytes[1000..]), long.MaxValue, CancellationToken.None);
            sha256 = file.Complete();
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_stream_over_the_limit_stops_after_the_piece_that_passes_it()
    {
        var bytes = RandomBytes(3 * AlignedBuffer.Bytes);
        using var file = HashedFileWriter.Create(Path.Combine(_folder, "file"), FileMode.CreateNew);

        var read = await file.CopyFromAsync(new TrickleStream(bytes), AlignedBuffer.Bytes + 10, CancellationToken.None);

        Assert.InRange(read, AlignedBuffer.Bytes + 11, bytes.Length - 1);
        Assert.Equal(AlignedBuffer.Bytes, file.Length); // the piece past the limit is not written
    }
}
