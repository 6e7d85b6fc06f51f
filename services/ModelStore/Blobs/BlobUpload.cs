using Platform.Transfers;

namespace Platform.ModelStore.Blobs;

/// <summary>
/// One blob being written: bytes go to a temp file and through SHA-256 as they arrive (<see cref="HashedFileWriter"/>,
/// shared with the clients' downloads), so memory stays bounded whatever the size. <see cref="CompleteAsync"/> flushes
/// and closes the file and yields the hash for the caller to check; <see cref="CommitAsync"/> then moves it into the
/// store. Disposing an upload that was not committed deletes the temp file, so an error or a cancelled call leaves
/// nothing behind.
/// </summary>
public sealed class BlobUpload : IAsyncDisposable
{
    private readonly BlobStore _store;
    private string _tempPath;
    private HashedFileWriter? _file;
    private string? _sha256;
    private bool _committed;

    internal BlobUpload(BlobStore store, string tempPath)
    {
        _store = store;
        _tempPath = tempPath;
        _file = HashedFileWriter.Create(tempPath, FileMode.CreateNew);
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
    public long Length
    {
        get => _file?.Length ?? _length;
        private set => _length = value;
    }

    private long _length;

    /// <summary>Appends the next bytes (a gRPC chunk): written on another thread while this one hashes them.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        (_file ?? throw new InvalidOperationException("The upload is already complete.")).WriteAsync(bytes, cancellationToken);

    /// <summary>
    /// Appends everything <paramref name="body"/> holds, read, hashed and written at once; stops after the first piece
    /// that takes the total past <paramref name="limit"/>.
    /// </summary>
    /// <returns>The bytes received: more than <paramref name="limit"/> when it stopped there.</returns>
    public Task<long> ReceiveAsync(Stream body, long limit, CancellationToken cancellationToken) =>
        (_file ?? throw new InvalidOperationException("The upload is already complete.")).CopyFromAsync(body, limit, cancellationToken);

    /// <summary>Finishes writing (flushed to disk) and returns the SHA-256 of everything written, lower-case hex.</summary>
    public async Task<string> CompleteAsync(CancellationToken cancellationToken)
    {
        if (_sha256 is not null) return _sha256;
        var file = _file ?? throw new ObjectDisposedException(nameof(BlobUpload));
        // The rows that point at this blob are committed right after the move: the bytes must be durable first.
        _sha256 = await Task.Run(file.Complete, cancellationToken);
        Length = file.Length;
        file.Dispose();
        _file = null;
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
    /// Keeps the completed upload's file at <paramref name="stagedPath"/> (in the temp folder) for a later registration
    /// instead of deleting it when disposed; the maintenance pass deletes it if it stays unused.
    /// </summary>
    internal void MoveToStaged(string stagedPath)
    {
        if (_sha256 is null || _committed) throw new InvalidOperationException("Only a completed, uncommitted upload can be staged.");
        File.Move(_tempPath, stagedPath, overwrite: false);
        _tempPath = stagedPath;
        _committed = true;
    }

    /// <summary>Discards the temp file unless the blob was committed.</summary>
    public ValueTask DisposeAsync()
    {
        _file?.Dispose();
        _file = null;
        if (!_committed) File.Delete(_tempPath);
        return ValueTask.CompletedTask;
    }
}
