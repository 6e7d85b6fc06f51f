using System.Security.Cryptography;

namespace Platform.ModelStore.Blobs;

/// <summary>
/// One blob being written: bytes go to a temp file and through SHA-256 as they arrive, so memory stays
/// bounded whatever the size. <see cref="CompleteAsync"/> closes the file and yields the hash for the caller
/// to check; <see cref="CommitAsync"/> then moves it into the store. Disposing an upload that was not
/// committed deletes the temp file, so an error or a cancelled call leaves nothing behind.
/// </summary>
public sealed class BlobUpload : IAsyncDisposable
{
    private readonly BlobStore _store;
    private string _tempPath;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private FileStream? _file;
    private string? _sha256;
    private bool _committed;

    internal BlobUpload(BlobStore store, string tempPath)
    {
        _store = store;
        _tempPath = tempPath;
        _file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None,
            BlobStore.ChunkSize, FileOptions.Asynchronous);
    }

    /// <summary>An upload completed earlier and staged (<see cref="BlobStore.TakeStaged"/>): its bytes are in place and hashed.</summary>
    internal BlobUpload(BlobStore store, string stagedPath, string sha256, long length)
    {
        _store = store;
        _tempPath = stagedPath;
        _sha256 = sha256;
        Length = length;
    }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Appends the next bytes.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var file = _file ?? throw new InvalidOperationException("The upload is already complete.");
        // One pass over the bytes, two things at once: a write that reaches the disk runs on another thread while
        // this one hashes (a small write just fills the file's buffer and completes at once).
        var writing = file.WriteAsync(bytes, cancellationToken);
        _hash.AppendData(bytes.Span);
        await writing;
        Length += bytes.Length;
    }

    /// <summary>Finishes writing (flushed to disk) and returns the SHA-256 of everything written, lower-case hex.</summary>
    public async Task<string> CompleteAsync(CancellationToken cancellationToken)
    {
        if (_sha256 is not null) return _sha256;
        var file = _file ?? throw new ObjectDisposedException(nameof(BlobUpload));
        await file.FlushAsync(cancellationToken);
        // The rows that point at this blob are committed right after the move: the bytes must be durable first.
        file.Flush(flushToDisk: true);
        await file.DisposeAsync();
        _file = null;
        _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return _sha256;
    }

    /// <summary>Opens the completed temp file for reading (a format that needs random access validates it there).</summary>
    public FileStream OpenCompletedRead()
    {
        if (_sha256 is null || _committed) throw new InvalidOperationException("Only a completed, uncommitted upload can be read.");
        return new FileStream(_tempPath, FileMode.Open, FileAccess.Read, FileShare.Read, BlobStore.ChunkSize, FileOptions.Asynchronous);
    }

    /// <summary>
    /// Moves the completed blob to its content address. When the store already holds these bytes the
    /// temp file is dropped instead, so identical content is kept once.
    /// </summary>
    /// <returns>The blob's SHA-256.</returns>
    public async Task<string> CommitAsync(CancellationToken cancellationToken)
    {
        // Idempotent: a transaction retried after a transient database failure commits its blobs again.
        if (_committed) return _sha256!;
        var sha256 = await CompleteAsync(cancellationToken);
        var target = _store.PathOf(sha256);
        if (File.Exists(target))
        {
            File.Delete(_tempPath);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                // Same file system (both under the root), so this is an atomic rename.
                File.Move(_tempPath, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                // A concurrent upload of the same bytes won the race; its copy is identical.
                File.Delete(_tempPath);
            }
        }
        _committed = true;
        return sha256;
    }

    /// <summary>
    /// Completes the upload and keeps its file at <paramref name="stagedPath"/> (in the temp folder) for a later
    /// registration instead of deleting it when disposed; the maintenance pass deletes it if it stays unused.
    /// </summary>
    internal async Task StageAsync(string stagedPath, CancellationToken cancellationToken)
    {
        if (_committed) throw new InvalidOperationException("The upload is already committed.");
        await CompleteAsync(cancellationToken);
        File.Move(_tempPath, stagedPath, overwrite: false);
        _tempPath = stagedPath;
        _committed = true;
    }

    /// <summary>Discards the temp file unless the blob was committed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync();
            _file = null;
        }
        _hash.Dispose();
        if (!_committed) File.Delete(_tempPath);
    }
}
