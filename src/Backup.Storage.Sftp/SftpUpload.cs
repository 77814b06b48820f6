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
    private string? _committed;

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
        ObjectDisposedException.ThrowIf(_spool is null || _committed is not null, this);
        _spool.Write(data);
        Length += data.Length;
    }

    public async Task CommitAsync(string name, CancellationToken cancellationToken)
    {
        // Retryable (IBlobUpload's contract): the spool is kept until a commit succeeds, and a second commit under the
        // same name after one did (a retry whose first reply was lost) changes nothing.
        if (_committed is not null)
        {
            if (_committed != name)
            {
                throw new InvalidOperationException($"upload already committed as {_committed}, not {name}");
            }
            return;
        }
        ObjectDisposedException.ThrowIf(_spool is null, this);
        var relative = BlobNames.RelativePath(_kind, name);
        await _store.PutAsync(relative, _spool, cancellationToken, leaveOpen: true).ConfigureAwait(false);
        _committed = name;
        _spool.Dispose();
        _spool = null;
    }

    public void Dispose()
    {
        _spool?.Dispose();
        _spool = null;
    }
}
