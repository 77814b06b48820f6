using System.Runtime.CompilerServices;
using Backup.Core.Storage;
using Renci.SshNet;

namespace Backup.Storage.Sftp;

public sealed partial class SftpBlobStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Only regular files (as the server's directory listing says, which does not follow symlinks) whose name is an id,
    /// a pack inside the folder named by its first two digits. The listing is read whole before the first name is
    /// returned, so that no connection is held while the caller works.
    /// </remarks>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = BlobNames.Folder(kind);
        var found = await RunAsync(folder.Length == 0 ? "list the root" : "list " + folder, async (client, root) =>
        {
            var path = folder.Length == 0 ? root : root + "/" + folder;
            var list = new List<(string, long)>();
            if (!await FolderExistsAsync(client, path, follow: folder.Length == 0, cancellationToken).ConfigureAwait(false))
            {
                return list;
            }
            if (kind != BlobKind.Pack)
            {
                await AddFilesAsync(client, path, "", list, cancellationToken).ConfigureAwait(false);
                return list;
            }
            foreach (var sub in await SubfoldersAsync(client, path, cancellationToken).ConfigureAwait(false))
            {
                await AddFilesAsync(client, path + "/" + sub, sub, list, cancellationToken).ConfigureAwait(false);
            }
            return list;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var entry in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    private static async Task AddFilesAsync(SftpClient client, string path, string prefix, List<(string, long)> list, CancellationToken cancellationToken)
    {
        await foreach (var file in client.ListDirectoryAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (file.IsRegularFile && BlobNames.IsId(file.Name) && file.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                list.Add((file.Name, file.Attributes.Size));
            }
        }
    }

    /// <summary>The two-digit folders of <c>data/</c> that are real folders (not symlinks).</summary>
    private static async Task<List<string>> SubfoldersAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        var subs = new List<string>();
        await foreach (var file in client.ListDirectoryAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (file.IsDirectory && !file.IsSymbolicLink && file.Name.Length == 2 && BlobNames.IsId(file.Name + new string('0', 62)))
            {
                subs.Add(file.Name);
            }
        }
        return subs;
    }
}
