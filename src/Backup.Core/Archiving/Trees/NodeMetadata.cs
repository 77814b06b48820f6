using Backup.Core.Posix;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// The metadata of a tree node beyond what the walk's <c>lstat</c> gives: owner names, the link count and extended
/// attributes. An entry whose attributes cannot be read keeps its node without them and is reported (the snapshot is
/// then incomplete). Not thread-safe: used on the walk's thread.
/// </summary>
internal sealed class NodeMetadata(Action<TreeProblem> onProblem)
{
    private readonly OwnerNames _owners = new();

    /// <summary>
    /// <paramref name="node"/> with <c>user</c>, <c>group</c>, <c>links</c> and, for symlinks and special files,
    /// <c>xattrs</c> (a regular file's attributes are read from the open file, <see cref="XattrsOf(SafeFileHandle, TreeEntry)"/>,
    /// and a directory's from its descriptor when its walk ends, <see cref="XattrsOf(WalkDirectory, TreeEntry)"/>).
    /// </summary>
    public TreeNode Describe(TreeNode node, TreeEntry entry)
    {
        var s = entry.Status;
        return node with
        {
            User = _owners.User(s.Uid),
            Group = _owners.Group(s.Gid),
            Links = entry.Type != FileType.Directory && s.Links > 1 ? s.Links : 0,
            Xattrs = entry.Type switch { FileType.File or FileType.Directory => node.Xattrs, _ => XattrsOf(entry) },
        };
    }

    /// <summary>
    /// The attributes of the entry itself (never through a symlink), looked up by name below the descriptor of the
    /// directory the walk listed it in; null when there are none or they cannot be read.
    /// </summary>
    public List<byte[][]>? XattrsOf(TreeEntry entry)
    {
        try
        {
            return TreeNode.EncodeXattrs(entry.Parent is { } parent ? parent.ReadXattrs(entry.Name) : Xattrs.Read(entry.FullPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(entry, e);
            return null;
        }
    }

    /// <summary>The attributes of a directory, from the walk's descriptor of it; null when there are none or they cannot be read.</summary>
    public List<byte[][]>? XattrsOf(WalkDirectory directory, TreeEntry entry)
    {
        try
        {
            return TreeNode.EncodeXattrs(directory.ReadXattrs());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(entry, e);
            return null;
        }
    }

    /// <summary>The attributes of an open file, or null when there are none or they cannot be read.</summary>
    public List<byte[][]>? XattrsOf(SafeFileHandle file, TreeEntry entry)
    {
        try
        {
            return TreeNode.EncodeXattrs(Xattrs.Read(file, entry.FullPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(entry, e);
            return null;
        }
    }

    private void Report(TreeEntry entry, Exception e) =>
        onProblem(new TreeProblem(entry.DisplayPath, $"extended attributes could not be read ({TreeProblem.ReasonOf(e)}); stored without them"));
}
