using System.Security.Cryptography;

namespace Platform.Training.Artifacts;

/// <summary>
/// A write-only, forward-only file stream that computes the SHA-256 and length of what is written,
/// so an artifact's checksum is known the moment it is written, without reading it back.
/// It refuses to seek on purpose: a writer that patched earlier bytes would invalidate the hash.
/// Nothing is half-written: the bytes go to <c>&lt;path&gt;.partial</c>, which <see cref="Complete"/> renames to the
/// path; disposed without completing (a failure, a cancellation), the partial file is deleted.
/// </summary>
internal sealed class HashingFileStream(string path) : Stream
{
    private readonly string _partial = path + ".partial";
    private readonly FileStream _file = new(path + ".partial", FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;
    private bool _completed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _file.Write(buffer);
        _length += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        await _file.WriteAsync(buffer, cancellationToken);
        _length += buffer.Length;
    }

    public override void Flush() => _file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _file.FlushAsync(cancellationToken);

    /// <summary>Flushes to disk, gives the file its name and returns the artifact's checksum and size.</summary>
    public TrainingArtifact Complete()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_partial, path, overwrite: true);
        _completed = true;
        return new TrainingArtifact(path, Convert.ToHexStringLower(_hash.GetHashAndReset()), _length);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hash.Dispose();
            if (!_completed) File.Delete(_partial);
        }
        base.Dispose(disposing);
    }
}
