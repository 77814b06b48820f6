using Backup.Core.Storage;
using Renci.SshNet;
using Renci.SshNet.Sftp;

namespace Backup.Storage.Sftp;

public sealed partial class SftpBlobStore
{
    /// <inheritdoc/>
    public Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var relative = BlobNames.RelativePath(kind, name);
        return RunAsync(relative, async (client, root) =>
        {
            var path = root + "/" + relative;
            var size = (await RegularFileAsync(client, path, relative, cancellationToken).ConfigureAwait(false)).Attributes.Size;
            var limit = kind == BlobKind.Pack ? MaxPackSize : MaxObjectSize;
            if (size > limit)
            {
                throw new InvalidDataException($"repository file is {size} bytes, more than any it holds ({limit}): {Location}/{relative}");
            }
            var buffer = new byte[size];
            await using var file = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            await ReadExactlyAsync(file, buffer, 0, relative, cancellationToken).ConfigureAwait(false);
            if (await file.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new InvalidDataException($"repository file grew while it was read: {Location}/{relative}");
            }
            return buffer;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await ReadRangeAsync(kind, name, offset, buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var relative = BlobNames.RelativePath(kind, name);
        return RunAsync(relative, async (client, root) =>
        {
            var path = root + "/" + relative;
            var size = (await RegularFileAsync(client, path, relative, cancellationToken).ConfigureAwait(false)).Attributes.Size;
            if (offset + destination.Length > size)
            {
                throw new InvalidDataException($"file is shorter than expected ({size} bytes, {offset + destination.Length} wanted): {Location}/{relative}");
            }
            await using var file = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            file.Seek(offset, SeekOrigin.Begin);
            await ReadExactlyAsync(file, destination, offset, relative, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// The regular file at <paramref name="path"/>; <see cref="FileNotFoundException"/> when missing,
    /// <see cref="InvalidDataException"/> for a symlink, a folder, a FIFO or anything else this store never writes.
    /// </summary>
    private async Task<ISftpFile> RegularFileAsync(SftpClient client, string path, string relative, CancellationToken cancellationToken)
    {
        var entry = await LstatAsync(client, path, cancellationToken).ConfigureAwait(false)
            ?? throw new FileNotFoundException($"no such repository file: {Location}/{relative}", relative);
        if (!entry.IsRegularFile)
        {
            throw new InvalidDataException($"not a regular file: {Location}/{relative}");
        }
        return entry;
    }

    private async Task ReadExactlyAsync(Stream file, Memory<byte> buffer, long offset, string relative, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await file.ReadAsync(buffer[done..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidDataException($"file is shorter than expected ({offset + done} bytes): {Location}/{relative}");
            }
            done += n;
        }
    }
}
