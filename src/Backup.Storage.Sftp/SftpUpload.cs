using Backup.Core.Storage;

namespace Backup.Storage.Sftp;

/// <summary>
/// A file of <see cref="SftpBlobStore"/> written piece by piece: spooled to a local temporary file (0600) that is
/// unlinked at once, so nothing is left if the process dies, and sent to the server at <see cref="CommitAsync"/>.
/// Not thread-safe.
/// </summary>
internal sealed class SftpUpload : IBlobUpload
{
    private readonly SftpBlobStore _store;
    private readonly BlobKind _kind;
    private FileStream? _spool;
    private string? _committedAs;

    public SftpUpload(SftpBlobStore store, BlobKind kind)
    {
        _store = store;
        _kind = kind;
        var path = Path.Join(Path.GetTempPath(), ".backup-upload-" + Guid.NewGuid().ToString("n"));
        _spool = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        File.Delete(path);
    }

    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_spool is null, this);
        _spool.Write(data);
        Length += data.Length;
    }

    /// <remarks>
    /// Retryable (<see cref="IBlobUpload.CommitAsync"/>): the spool is kept until a commit succeeds, so a call after one
    /// that failed sends the file again whole; a call after one that succeeded, with the same name, does nothing.
    /// </remarks>
    public async Task CommitAsync(string name, CancellationToken cancellationToken)
    {
        if (_committedAs is not null)
        {
            if (_committedAs != name)
            {
                throw new InvalidOperationException($"upload already committed as {_committedAs}, not {name}");
            }
            return;
        }
        ObjectDisposedException.ThrowIf(_spool is null, this);
        var relative = BlobNames.RelativePath(_kind, name);
        await _store.PutAsync(relative, _spool, cancellationToken).ConfigureAwait(false);
        _committedAs = name;
        Dispose();
    }

    public void Dispose()
    {
        _spool?.Dispose();
        _spool = null;
    }
}
