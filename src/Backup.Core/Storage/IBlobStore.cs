namespace Backup.Core.Storage;

/// <summary>
/// Where repository files live. Files are written once, whole, and never modified: a write is atomic (a reader sees
/// the whole file or nothing, also after a crash), and only deletion removes one. Implementations are thread-safe.
/// </summary>
public interface IBlobStore
{
    /// <summary>Writes <paramref name="data"/> as <paramref name="name"/>, atomically and durably. Writing an existing name replaces it whole.</summary>
    Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a file of <paramref name="kind"/> that is written piece by piece and named only at the end (a pack is
    /// named by the hash of its bytes). Nothing is visible under any name until <see cref="IBlobUpload.CommitAsync"/>;
    /// disposing an upload that was not committed removes what it wrote.
    /// </summary>
    IBlobUpload BeginUpload(BlobKind kind);

    /// <summary>
    /// Removes what interrupted writes left of <paramref name="kind"/> (temporary files). Call only under an exclusive
    /// repository lock, when no other process writes that kind. Returns how many were removed.
    /// </summary>
    Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken);

    /// <summary>Reads a whole file. Throws <see cref="FileNotFoundException"/> when it does not exist.</summary>
    Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/>; throws <see cref="InvalidDataException"/> when the file is shorter.</summary>
    Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken);

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; throws <see cref="InvalidDataException"/> when the file is shorter.</summary>
    Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Lists the names and sizes of one kind's files (never temporary files).</summary>
    IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, CancellationToken cancellationToken);

    /// <summary>Deletes a file; nothing happens when it does not exist.</summary>
    Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken);
}
