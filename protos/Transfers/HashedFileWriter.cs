using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Platform.Transfers;

/// <summary>
/// A new file written front to back while its bytes go through SHA-256, then flushed to disk: what the model store
/// does with bytes it accepts and what a client does with bytes it downloads, so both share this one implementation.
/// <para>
/// Three things keep it close to a plain durable copy. <see cref="CopyFromAsync"/> runs reading, hashing and writing as
/// a pipeline over a few pooled buffers, so the socket, one core's SHA-256 and the disk all work at once while memory
/// stays a few MiB whatever the size. On Linux its writes bypass the page cache (<c>O_DIRECT</c>): the bytes go from
/// the buffer to the disk during the transfer instead of all at the final flush, and no page-cache page is filled
/// (measured on a 2-core VM: filling fresh page-cache pages cost 2 CPU seconds per GB, more than hashing). Where the
/// file system refuses <c>O_DIRECT</c>, and for the unaligned tail and single writes, each piece written is handed to
/// the disk at once (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c> starts writeback without waiting), so the final
/// flush waits only for the last pieces. Elsewhere the final flush does it all.
/// </para>
/// </summary>
public sealed class HashedFileWriter : IDisposable
{
    /// <summary>Buffers in flight in <see cref="CopyFromAsync"/>: one being read while others are hashed and written.</summary>
    private const int PipelineDepth = 4;

    private readonly SafeFileHandle _handle;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly bool _linux = OperatingSystem.IsLinux();
    private bool _direct;
    private string? _sha256;

    private HashedFileWriter(SafeFileHandle handle) => _handle = handle;

    /// <summary>Creates the file (<paramref name="mode"/>: <see cref="FileMode.CreateNew"/> or <see cref="FileMode.Create"/>).</summary>
    public static HashedFileWriter Create(string path, FileMode mode) =>
        new(File.OpenHandle(path, mode, FileAccess.Write, FileShare.None, FileOptions.None));

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// Appends <paramref name="bytes"/>: the file write runs on another thread while this one hashes them. For bytes that
    /// arrive as separate messages (gRPC chunks); a stream is faster through <see cref="CopyFromAsync"/>.
    /// </summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var offset = Length;
        var writing = Task.Run(() => WriteAt(bytes.Span, offset), cancellationToken);
        _hash.AppendData(bytes.Span);
        await writing;
        Length += bytes.Length;
    }

    /// <summary>
    /// Appends everything <paramref name="source"/> holds, reading, hashing and writing 1 MiB pieces at once (each on its
    /// own thread, in order). Stops after the first piece that takes the total past <paramref name="limit"/>, unwritten.
    /// </summary>
    /// <returns>The bytes read: more than <paramref name="limit"/> when it stopped there.</returns>
    public async Task<long> CopyFromAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        EnsureOpen();
        _direct = Length % DirectAlignment == 0 && SetDirect(true);
        var buffers = new byte[PipelineDepth][];
        var starts = new int[PipelineDepth];
        // Done[i]: the piece last read into buffers[i] is hashed and written, so the buffer may be filled again.
        var done = new Task[PipelineDepth];
        Task hashing = Task.CompletedTask, writing = Task.CompletedTask;
        var read = 0L;
        try
        {
            for (var slot = 0; ; slot = (slot + 1) % PipelineDepth)
            {
                if (done[slot] is { } previous) await previous;
                if (buffers[slot] is null) (buffers[slot], starts[slot]) = AlignedBuffers.Rent();
                var buffer = buffers[slot];
                var start = starts[slot];
                var count = await source.ReadAtLeastAsync(buffer.AsMemory(start, ByteStream.BufferBytes), ByteStream.BufferBytes,
                    throwOnEndOfStream: false, cancellationToken);
                if (count == 0) break;
                read += count;
                if (read > limit) break;
                var piece = new ReadOnlyMemory<byte>(buffer, start, count);
                var offset = Length;
                Length += count;
                // Two chains, each in order: piece n is hashed after piece n-1 was, and written after it was written.
                hashing = ThenAsync(hashing, () => _hash.AppendData(piece.Span));
                writing = ThenAsync(writing, () => WriteAt(piece.Span, offset));
                done[slot] = Task.WhenAll(hashing, writing);
            }
            await Task.WhenAll(hashing, writing);
        }
        finally
        {
            // No buffer goes back to the pool while a hash or a write may still read it; on a failure the first error is
            // the one that propagates.
            foreach (var pending in done)
            {
                if (pending is null) continue;
                try { await pending; }
                catch (Exception) { /* reported by the await above, or by the read that failed */ }
            }
            foreach (var buffer in buffers)
                if (buffer is not null) AlignedBuffers.Return(buffer);
            if (_direct) _direct = !SetDirect(false);
        }
        return read;
    }

    /// <summary>
    /// Flushes the file to disk (the caller reports success or commits rows that point at it next) and returns the
    /// SHA-256 of everything written, lower-case hex. The writer takes no more bytes after this.
    /// </summary>
    public string Complete()
    {
        if (_sha256 is not null) return _sha256;
        RandomAccess.FlushToDisk(_handle);
        _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return _sha256;
    }

    /// <summary>Closes the file (it stays on disk; deleting an unwanted one is the caller's decision).</summary>
    public void Dispose()
    {
        _handle.Dispose();
        _hash.Dispose();
    }

    private static Task ThenAsync(Task previous, Action next) => Task.Run(async () =>
    {
        await previous;
        next();
    });

    private void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        if (_direct)
        {
            // O_DIRECT takes whole aligned blocks only: a short last piece ends with a buffered write.
            var whole = bytes.Length / DirectAlignment * DirectAlignment;
            try
            {
                RandomAccess.Write(_handle, bytes[..whole], offset);
                bytes = bytes[whole..];
                offset += whole;
            }
            catch (IOException)
            {
                // A file system that accepted the flag but not the write: the same bytes again, through the page cache.
            }
            if (bytes.IsEmpty) return;
            _direct = !SetDirect(false);
            if (_direct) throw new IOException("could not turn O_DIRECT off for the last piece");
        }
        RandomAccess.Write(_handle, bytes, offset);
        // Only a hint (the flush in Complete is the guarantee), so a failure is ignored.
        if (_linux) _ = SyncFileRange(_handle, offset, bytes.Length, SyncFileRangeWrite);
    }

    /// <summary>Turns <c>O_DIRECT</c> on or off (Linux only); whether that worked.</summary>
    private bool SetDirect(bool on)
    {
        if (!_linux) return false;
        var flags = Fcntl(_handle, FGetFl, 0);
        if (flags < 0) return false;
        return Fcntl(_handle, FSetFl, on ? flags | ODirect : flags & ~ODirect) == 0;
    }

    private void EnsureOpen()
    {
        if (_sha256 is not null) throw new InvalidOperationException("The file is complete.");
    }

    /// <summary>What <c>O_DIRECT</c> needs buffers, offsets and lengths aligned to (the largest logical block size in use).</summary>
    private const int DirectAlignment = 4096;
    private const int FGetFl = 3, FSetFl = 4, ODirect = 0x4000; // x86-64 and arm64 Linux values
    private const uint SyncFileRangeWrite = 2;

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(SafeFileHandle fd, int command, int argument);

    /// <summary>
    /// 1 MiB buffers aligned for <c>O_DIRECT</c>: pinned arrays with room to start at an aligned address, kept for reuse
    /// (a few per transfer in flight) so transfers allocate nothing after the first.
    /// </summary>
    private static class AlignedBuffers
    {
        private const int Kept = 32;
        private static readonly ConcurrentBag<byte[]> Free = [];

        public static (byte[] Buffer, int Start) Rent()
        {
            if (!Free.TryTake(out var buffer))
                buffer = GC.AllocateUninitializedArray<byte>(ByteStream.BufferBytes + DirectAlignment, pinned: true);
            return (buffer, StartOf(buffer));
        }

        public static void Return(byte[] buffer)
        {
            if (Free.Count < Kept) Free.Add(buffer);
        }

        private static int StartOf(byte[] buffer)
        {
            var address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0).ToInt64();
            return (int)((DirectAlignment - address % DirectAlignment) % DirectAlignment);
        }
    }

    /// <summary>Linux <c>sync_file_range(2)</c>: with SYNC_FILE_RANGE_WRITE, starts writeback of the range and returns.</summary>
    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long count, uint flags);
}
