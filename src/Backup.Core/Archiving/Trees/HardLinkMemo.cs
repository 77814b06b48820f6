using Backup.Core.Posix;
using Backup.Core.Snapshots;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// The files of one snapshot that have other hard links, by (device, inode), so that the second and later links of an
/// unchanged file reuse the first one's chunk list and attributes instead of reading the same data again. An entry is
/// dropped once all its links were met, so memory grows only with files whose other links lie outside the tree.
/// Not thread-safe: used on the walk's thread.
/// </summary>
internal sealed class HardLinkMemo
{
    private readonly Dictionary<(ulong Device, ulong Inode), (TreeNode Node, uint Seen)> _files = [];

    /// <summary>
    /// The node stored for another link of the file <paramref name="status"/> describes, when it was read with the same
    /// size, mtime and ctime (so the same content); null otherwise.
    /// </summary>
    public TreeNode? Find(FileStatus status)
    {
        if (status.Links < 2 || !_files.TryGetValue((status.Device, status.Inode), out var known))
        {
            return null;
        }
        var node = known.Node;
        if (node.Size != status.Size || node.MtimeNs != status.MtimeNs || node.CtimeNs != status.CtimeNs)
        {
            return null;
        }
        Count(status, known);
        return node;
    }

    /// <summary>Keeps <paramref name="node"/>, the stored form of a file with other links; returns it.</summary>
    public TreeNode Remember(TreeNode node, FileStatus status)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (status.Links >= 2 && node.Content is not null)
        {
            Count(status, (node, 0));
        }
        return node;
    }

    private void Count(FileStatus status, (TreeNode Node, uint Seen) known)
    {
        var key = (status.Device, status.Inode);
        if (known.Seen + 1 >= status.Links)
        {
            _files.Remove(key);
            return;
        }
        _files[key] = (known.Node, known.Seen + 1);
    }
}
