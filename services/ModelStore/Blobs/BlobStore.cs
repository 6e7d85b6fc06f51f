using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Grpc;
using Platform.Contracts;

namespace Platform.ModelStore.Blobs;

/// <summary>
/// Content-addressed file store: the bytes with SHA-256 <c>h</c> live at <c>root/sha256/h[0..2]/h</c>.
/// Writes go to a temp file under <c>root/tmp</c> while being hashed and are moved into place only once
/// the caller has checked them (<see cref="BlobUpload.CommitAsync"/>), so a reader never sees half a blob
/// and identical content is stored once. Paths are built from hashes this class computed or validated,
/// never from names a user chose.
/// </summary>
public sealed partial class BlobStore
{
    /// <summary>
    /// Size of the chunks blobs are read and written in, also the size of the messages downloads stream
    /// (<see cref="GrpcTransfer.ChunkBytes"/>, 1 MiB). Memory per transfer stays at a few chunks whatever the size of the blob.
    /// </summary>
    public const int ChunkSize = GrpcTransfer.ChunkBytes;

    private readonly string _blobRoot;

    /// <summary>Opens (and creates if needed) the store under <paramref name="root"/>.</summary>
    public BlobStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        _blobRoot = Path.Combine(Root, "sha256");
        TempFolder = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(_blobRoot);
        Directory.CreateDirectory(TempFolder);
    }

    /// <summary>The store's folder (absolute).</summary>
    public string Root { get; }

    /// <summary>Where uploads in progress are written; empty whenever no upload is running.</summary>
    public string TempFolder { get; }

    /// <summary>Starts writing a new blob into a temp file. Dispose the upload to discard it unless committed.</summary>
    public BlobUpload StartUpload() => new(this, Path.Combine(TempFolder, $"{Guid.NewGuid():N}.tmp"));

    /// <summary>
    /// Completes <paramref name="upload"/> and keeps its bytes in the temp folder under a new upload id for
    /// <paramref name="owner"/> (a tenant id), for a registration to take with <see cref="TakeStaged"/>. The staged file's
    /// name holds the owner, the id and the SHA-256 this store computed; all three are validated, never a user's name.
    /// Staged bytes nobody takes are deleted by the maintenance pass after its grace period, like any temp file.
    /// </summary>
    /// <returns>The upload id and the bytes' SHA-256.</returns>
    /// <exception cref="ResourceExhaustedException">Staging these bytes would pass a quota of <paramref name="quota"/>; nothing is kept.</exception>
    public async Task<(Guid UploadId, string Sha256)> StageAsync(
        BlobUpload upload, string owner, UploadOptions quota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var id = Guid.NewGuid();
        var sha256 = await upload.CompleteAsync(cancellationToken);
        // Checked and staged under one lock, so two uploads at once cannot both fit in what only one may take.
        lock (_staging)
        {
            CheckStagingQuota(owner, upload.Length, quota);
            upload.MoveToStaged(StagedPath(owner, id, sha256));
        }
        return (id, sha256);
    }

    private readonly Lock _staging = new();

    /// <summary>
    /// Refuses staging <paramref name="bytes"/> more for <paramref name="owner"/> when that would pass a quota: called
    /// before an upload's body is read (with its declared length) and again, under the staging lock, before it is staged.
    /// </summary>
    /// <exception cref="ResourceExhaustedException">A quota would be passed; the message names it and its value.</exception>
    public void CheckStagingQuota(string owner, long bytes, UploadOptions quota)
    {
        ArgumentNullException.ThrowIfNull(quota);
        var prefix = $"{ValidOwner(owner)}.";
        long ownerBytes = 0, totalBytes = 0;
        var ownerCount = 0;
        foreach (var file in new DirectoryInfo(TempFolder).EnumerateFiles($"*{StagedSuffix}"))
        {
            long length;
            try { length = file.Length; }
            catch (FileNotFoundException) { continue; } // taken or swept meanwhile
            totalBytes += length;
            if (!file.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            ownerBytes += length;
            ownerCount++;
        }
        const string Advice = "staged uploads are used by the registration that names them, or deleted when they expire; nothing was stored";
        if (ownerCount + 1 > quota.MaxStagedPerTenant)
            throw new ResourceExhaustedException("ModelStore:Uploads:MaxStagedPerTenant",
                $"tenant {Echo.Quote(owner)} has {ownerCount} staged uploads, the most it may have at once ({quota.MaxStagedPerTenant}); {Advice}");
        if (ownerBytes + bytes > quota.MaxStagedBytesPerTenant)
            throw new ResourceExhaustedException("ModelStore:Uploads:MaxStagedBytesPerTenant",
                $"tenant {Echo.Quote(owner)} has {ownerBytes} bytes staged; {bytes} more would pass its quota of {quota.MaxStagedBytesPerTenant} bytes; {Advice}");
        if (totalBytes + bytes > quota.MaxStagedBytes)
            throw new ResourceExhaustedException("ModelStore:Uploads:MaxStagedBytes",
                $"{totalBytes} bytes are staged by all tenants; {bytes} more would pass the store's quota of {quota.MaxStagedBytes} bytes; {Advice}");
    }

    /// <summary>
    /// The bytes <paramref name="owner"/> staged under <paramref name="uploadId"/>, as a completed upload: commit it to
    /// move them into the store, dispose it to delete them (a staged upload is used once). Null when there are none
    /// (never staged, another owner's, already used or swept).
    /// </summary>
    public BlobUpload? TakeStaged(string owner, Guid uploadId)
    {
        if (FindStaged(owner, uploadId) is not var (path, sha256)) return null;
        try
        {
            return new BlobUpload(this, path, sha256, new FileInfo(path).Length);
        }
        catch (FileNotFoundException)
        {
            return null; // taken by a concurrent registration or swept meanwhile
        }
    }

    /// <summary>
    /// Where the bytes <paramref name="owner"/> staged under <paramref name="uploadId"/> are, and their SHA-256, leaving them
    /// staged (a fold's scored rows are read by the job that reports the folds, and again by its retries); null when there
    /// are none (never staged, another owner's, used, deleted or swept).
    /// </summary>
    public (string Path, string Sha256)? FindStaged(string owner, Guid uploadId)
    {
        var prefix = $"{ValidOwner(owner)}.{uploadId:N}.";
        var path = Directory.EnumerateFiles(TempFolder, $"{prefix}*{StagedSuffix}").SingleOrDefault();
        if (path is null) return null;
        var sha256 = Path.GetFileName(path)[prefix.Length..^StagedSuffix.Length];
        return IsSha256(sha256) ? (path, sha256) : null;
    }

    private const string StagedSuffix = ".staged";

    private string StagedPath(string owner, Guid uploadId, string sha256) =>
        Path.Combine(TempFolder, $"{ValidOwner(owner)}.{uploadId:N}.{sha256}{StagedSuffix}");

    private static string ValidOwner(string owner) => OwnerPattern().IsMatch(owner)
        ? owner
        : throw new ArgumentException($"{Echo.Quote(owner)} is not a tenant id.", nameof(owner));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex OwnerPattern();

    /// <summary>Whether the blob with this hash is stored.</summary>
    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Opens a stored blob for sequential reading.</summary>
    /// <exception cref="FileNotFoundException">No blob has this hash.</exception>
    public Stream OpenRead(string sha256) =>
        new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, ChunkSize,
            FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>
    /// Reads a stored blob in chunks of at most <see cref="ChunkSize"/> bytes, re-hashing as it goes. Each chunk is
    /// only valid until the next is requested (two pooled buffers are reused, so a download allocates nothing per
    /// chunk), so send it (a gRPC writer has serialized a message once <c>WriteAsync</c> completes) or copy it before
    /// moving on.
    /// </summary>
    /// <param name="sha256">The blob's hash.</param>
    /// <param name="owner">What the bytes belong to, for error messages (for example "dataset '…'").</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="DataLossException">
    /// The blob is missing or its bytes no longer hash to <paramref name="sha256"/> (thrown after the last chunk,
    /// so a streaming reader's call fails instead of ending as if complete).
    /// </exception>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(
        string sha256, string owner, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = OpenRead(sha256);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataLossException($"the stored bytes of {owner} (sha256 {sha256}) are missing from the blob store");
        }

        // Two buffers: the next chunk is read from disk while the caller sends this one and it is hashed, so the
        // disk, the hash and the network overlap instead of taking turns. Memory stays at two chunks per read.
        var current = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var next = ArrayPool<byte>.Shared.Rent(ChunkSize);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task<int>? pending = null;
        try
        {
            var read = await stream.ReadAsync(current.AsMemory(0, ChunkSize), cancellationToken);
            while (read > 0)
            {
                pending = stream.ReadAsync(next.AsMemory(0, ChunkSize), cancellationToken).AsTask();
                hash.AppendData(current, 0, read);
                yield return current.AsMemory(0, read);
                read = await pending;
                pending = null;
                (current, next) = (next, current);
            }
        }
        finally
        {
            // A caller that stops early (error, cancelled call) must not return a buffer a read is still filling.
            if (pending is not null)
            {
                try { await pending; }
                catch (Exception) { /* the caller's own failure is the one that matters */ }
            }
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
            await stream.DisposeAsync();
        }
        if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha256)
            throw new DataLossException($"the stored bytes of {owner} no longer match their sha256 {sha256}");
    }

    /// <summary>A small blob's bytes in memory, verified as <see cref="ReadAsync"/> verifies them (a model card, an evaluation).</summary>
    /// <exception cref="DataLossException">The blob is missing or its bytes no longer hash to <paramref name="sha256"/>.</exception>
    public async Task<byte[]> ReadAllAsync(string sha256, string owner, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await foreach (var chunk in ReadAsync(sha256, owner, cancellationToken))
            copy.Write(chunk.Span);
        return copy.ToArray();
    }

    /// <summary>The file that holds (or would hold) the blob with this hash.</summary>
    /// <exception cref="ArgumentException">The hash is not 64 lower-case hex digits.</exception>
    public string PathOf(string sha256)
    {
        if (!IsSha256(sha256))
            throw new ArgumentException($"{Echo.Quote(sha256)} is not a lower-case hex SHA-256.", nameof(sha256));
        return Path.Combine(_blobRoot, sha256[..2], sha256);
    }

    /// <summary>Whether <paramref name="value"/> is a SHA-256 written as 64 lower-case hex digits.</summary>
    public static bool IsSha256(string? value) => value is not null && Sha256Pattern().IsMatch(value);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
