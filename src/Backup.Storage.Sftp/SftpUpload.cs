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
    private bool _committed;

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
        ObjectDisposedException.ThrowIf(_spool is null || _committed, this);
        _spool.Write(data);
        Length += data.Length;
    }

    public async Task CommitAsync(string name, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_spool is null || _committed, this);
        var relative = BlobNames.RelativePath(_kind, name);
        var spool = _spool;
        spool.Position = 0;
        // PutAsync disposes the spool, whatever happens.
        _spool = null;
        await _store.PutAsync(relative, spool, cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    public void Dispose()
    {
        _spool?.Dispose();
        _spool = null;
    }
}
