using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Platform.Transfers;

/// <summary>
/// A new file written front to back while its bytes go through SHA-256, then flushed to disk: what the model store
/// does with bytes it accepts and what a client does with bytes it downloads, so both share this one implementation.
/// <para>
/// Two things keep it close to a plain durable copy. <see cref="CopyFromAsync"/> runs reading, hashing and writing as a
/// pipeline over a few pooled buffers, so the socket, one core's SHA-256 and the disk all work at once while memory
/// stays a few MiB whatever the size. And on Linux the bytes go to disk while they arrive, without filling the page
/// cache: a stream's 4 MiB pieces are written with direct I/O (<see cref="DirectIo"/>) from the pipeline's own
/// buffers, and every <see cref="FlushEvery"/> bytes a background flush empties the disk's own write cache, so the final
/// flush waits for little. Filling fresh page-cache pages instead is what made large transfers slow: measured on a
/// 2-core VM whose free memory goes back to the host, it cost 1-2 CPU seconds per GB, more than hashing
/// (docs/registry.md, "Direct I/O"). Where direct I/O is not available (a file system without it, a gRPC chunk's odd
/// length, a stream's short last piece) the bytes go through a small window of page cache instead: each piece's
/// writeback starts as soon as it is written (<c>sync_file_range</c>), and once the window is full the oldest written
/// pieces are waited for and their pages dropped (<c>posix_fadvise(DONTNEED)</c>), so the file keeps reusing the same
/// few recently freed pages. Elsewhere than Linux the final flush does it all.
/// </para>
/// </summary>
public sealed class HashedFileWriter : IDisposable
{
    /// <summary>Buffers in flight in <see cref="CopyFromAsync"/>: one being read while others are hashed and written.</summary>
    private const int PipelineDepth = 4;

    /// <summary>Written bytes that may be in the page cache at once (Linux); older ones are on disk and dropped.</summary>
    private const long WritebackWindow = 16L * 1024 * 1024;

    /// <summary>Bytes on disk between background flushes (Linux); measured, the final flush of a GB fell from 0.5 to 0.03 s.</summary>
    private const long FlushEvery = 64L * 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly bool _linux = OperatingSystem.IsLinux();
    // Whether the handle writes with direct I/O now: only between a stream's aligned pieces (see CopyFromAsync).
    private bool _direct;
    // Bytes before this offset are on disk and out of the page cache.
    private long _settled;
    // Bytes before this offset are flushed; _flushing is the background flush in progress, if any.
    private long _flushedTo;
    private Task _flushing = Task.CompletedTask;
    private string? _sha256;

    private HashedFileWriter(SafeFileHandle handle, string path) => (_handle, _path) = (handle, path);

    /// <summary>Creates the file (<paramref name="mode"/>: <see cref="FileMode.CreateNew"/> or <see cref="FileMode.Create"/>).</summary>
    public static HashedFileWriter Create(string path, FileMode mode) =>
        new(File.OpenHandle(path, mode, FileAccess.Write, FileShare.None, FileOptions.None), path);

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// Appends <paramref name="bytes"/>: the file write runs on another thread while this one hashes them. For bytes that
    /// arrive as separate messages (gRPC chunks); a stream is faster through <see cref="CopyFromAsync"/>.
    /// </summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        EnsureOpen();
        EndDirect();
        var offset = Length;
        var writing = Task.Run(() => WriteAt(bytes.Span, offset), cancellationToken);
        _hash.AppendData(bytes.Span);
        await writing;
        Length += bytes.Length;
    }

    /// <summary>
    /// Appends everything <paramref name="source"/> holds, reading, hashing and writing 4 MiB pieces at once (each on its
    /// own thread, in order). Stops after the first piece that takes the total past <paramref name="limit"/>, unwritten.
    /// The pieces are written with direct I/O where the file system has it and the file so far is a whole number of
    /// blocks (it always is unless gRPC chunks came first); a short last piece goes through the page cache.
    /// </summary>
    /// <returns>The bytes read: more than <paramref name="limit"/> when it stopped there.</returns>
    public async Task<long> CopyFromAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        EnsureOpen();
        _direct = _linux && DirectIo.IsAligned(Length) && DirectIo.TrySet(_handle, on: true);
        var buffers = new AlignedBuffer[PipelineDepth];
        // Done[i]: the piece last read into buffers[i] is hashed and written, so the buffer may be filled again.
        var done = new Task[PipelineDepth];
        Task hashing = Task.CompletedTask, writing = Task.CompletedTask;
        var read = 0L;
        try
        {
            for (var slot = 0; ; slot = (slot + 1) % PipelineDepth)
            {
                if (done[slot] is { } previous) await previous;
                var buffer = (buffers[slot] ??= AlignedBuffer.Rent()).Memory;
                var count = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (count == 0) break;
                read += count;
                if (read > limit) break;
                ReadOnlyMemory<byte> piece = buffer[..count];
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
                buffer?.Return();
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
        _flushing.GetAwaiter().GetResult();
        RandomAccess.FlushToDisk(_handle);
        _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return _sha256;
    }

    /// <summary>Closes the file (it stays on disk; deleting an unwanted one is the caller's decision).</summary>
    public void Dispose()
    {
        // A background flush still running holds the handle until it ends; its outcome no longer matters.
        _handle.Dispose();
        _hash.Dispose();
    }

    private static Task ThenAsync(Task previous, Action next) => Task.Run(async () =>
    {
        await previous;
        next();
    });

    /// <summary>Writes at <paramref name="offset"/>; called for one piece at a time, in order.</summary>
    private void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        // Direct I/O takes whole blocks only: a stream's last piece is written through the page cache.
        if (_direct && !DirectIo.IsAligned(bytes.Length)) EndDirect();
        RandomAccess.Write(_handle, bytes, offset);
        if (_direct)
            _settled = offset + bytes.Length; // on the device already; no page of it is cached
        else if (!_linux || !SettleWindow(offset, bytes.Length))
            return;
        if (!_flushing.IsCompleted) return;
        // A flush that failed has reported its error once, to this call only: it must surface here.
        _flushing.GetAwaiter().GetResult();
        if (_settled - _flushedTo < FlushEvery) return;
        var upTo = _settled;
        _flushing = Task.Run(() =>
        {
            RandomAccess.FlushToDisk(_handle);
            _flushedTo = upTo;
        });
    }

    /// <summary>
    /// Page-cache writes on Linux: starts writeback of the piece just written, and once more than
    /// <see cref="WritebackWindow"/> is unsettled waits for the oldest of it and drops its pages.
    /// </summary>
    /// <returns>Whether more of the file is settled (on disk and out of the page cache) than before.</returns>
    private bool SettleWindow(long offset, int length)
    {
        // Starts writeback of this piece and returns; only a hint, so a failure is ignored here.
        _ = SyncFileRange(_handle, offset, length, SyncFileRangeWrite);
        var unsettled = offset + length - _settled;
        if (unsettled <= WritebackWindow) return false;
        var count = unsettled - WritebackWindow;
        // Waiting here reports a failed write once (the final flush would not see it again), so it must not be ignored.
        if (SyncFileRange(_handle, _settled, count, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter) != 0)
            throw new IOException($"writing {_path} failed", new Win32Exception(Marshal.GetLastPInvokeError()));
        // Pages already on disk: dropping them only frees memory, so a failure is ignored.
        _ = PosixFadvise(_handle, _settled, count, PosixFadviseDontNeed);
        _settled += count;
        return true;
    }

    /// <summary>Writes through the page cache from here on (a gRPC chunk or a short last piece follows).</summary>
    private void EndDirect()
    {
        if (!_direct) return;
        if (!DirectIo.TrySet(_handle, on: false))
            throw new IOException($"{_path}: direct I/O could not be turned off for the file's last piece");
        _direct = false;
    }

    private void EnsureOpen()
    {
        if (_sha256 is not null) throw new InvalidOperationException("The file is complete.");
    }

    private const uint SyncFileRangeWaitBefore = 1, SyncFileRangeWrite = 2, SyncFileRangeWaitAfter = 4;
    private const int PosixFadviseDontNeed = 4;

    /// <summary>Linux <c>sync_file_range(2)</c>: starts writeback of a range, and with the WAIT flags waits for it.</summary>
    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long count, uint flags);

    /// <summary><c>posix_fadvise(2)</c>: with POSIX_FADV_DONTNEED, drops the range's clean pages from the page cache.</summary>
    [DllImport("libc", EntryPoint = "posix_fadvise", SetLastError = false)]
    private static extern int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);
}
