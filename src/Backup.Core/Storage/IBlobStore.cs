namespace Backup.Core.Storage;

/// <summary>
/// Where a repository's files live: a local folder, an S3 bucket and prefix, an SFTP folder. The contract every store
/// keeps (docs/repository.md, "The store contract"; the conformance suite in tests/Backup.Testing checks it):
/// <list type="bullet">
/// <item>A write is atomic: a reader sees the whole file or nothing, also after a crash or a cut connection; a partial
/// file is never visible under its final name.</item>
/// <item>Read after write: once a write returns, a read of that name returns its bytes. A listing may lag behind.</item>
/// <item>Files are never modified. Names are content hashes (but <c>config</c>), so writing a name again writes the
/// same bytes.</item>
/// <item>Delete is idempotent: deleting a missing file succeeds.</item>
/// <item>Every call may be made again after it threw <see cref="TransientStoreException"/>, also when the failure came
/// after the work was done: a write writes the same bytes again, an upload's commit is retryable
/// (<see cref="IBlobUpload.CommitAsync"/>). <see cref="RetryingBlobStore"/> retries those.</item>
/// </list>
/// Implementations are thread-safe; disposing one closes its connections and open files. A failure that retrying cannot help (a missing file, denied access) is thrown at
/// once; <see cref="FileNotFoundException"/> means the file does not exist, <see cref="InvalidDataException"/> that
/// what is there is not what the store wrote.
/// </summary>
public interface IBlobStore : IDisposable
{
    /// <summary>Where the store is, for messages and the catalog: a folder or a URL, never with credentials.</summary>
    string Location { get; }

    /// <summary>
    /// Creates what the store needs before the first write (the folder, the bucket), if it is missing. Called by
    /// <c>init</c>; other writes do not create it, so that an unmounted disk or a mistyped bucket is an error.
    /// </summary>
    Task CreateAsync(CancellationToken cancellationToken);

    /// <summary>True when nothing at all is stored at <see cref="Location"/> (a file of any name counts), or it does not exist.</summary>
    Task<bool> IsEmptyAsync(CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="data"/> as <paramref name="name"/>, atomically and durably. Writing an existing name replaces it whole.</summary>
    Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a file of <paramref name="kind"/> that is written piece by piece and named only at the end (a pack is
    /// named by the hash of its bytes). Nothing is visible under any name until <see cref="IBlobUpload.CommitAsync"/>;
    /// disposing an upload that was not committed removes what it wrote.
    /// </summary>
    IBlobUpload BeginUpload(BlobKind kind);

    /// <summary>
    /// Removes what interrupted writes left of <paramref name="kind"/> (temporary files, unfinished multipart uploads).
    /// Call only under an exclusive repository lock, when no other process writes that kind. Returns how many were removed.
    /// </summary>
    Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken);

    /// <summary>Reads a whole file. Throws <see cref="FileNotFoundException"/> when it does not exist.</summary>
    Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/>; throws <see cref="InvalidDataException"/> when the file is shorter.</summary>
    Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken);

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; throws <see cref="InvalidDataException"/> when the file is shorter.</summary>
    Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>The size and last write time of a file, or null when it does not exist.</summary>
    Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Lists the names and sizes of one kind's files: only names the store could have written (64 lowercase hex
    /// digits), never temporary files. May lag behind writes and deletes.
    /// </summary>
    IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, CancellationToken cancellationToken);

    /// <summary>Deletes a file; nothing happens when it does not exist.</summary>
    Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken);
}
