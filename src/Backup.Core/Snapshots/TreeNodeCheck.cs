using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;

namespace Backup.Core.Snapshots;

/// <summary>
/// The checks a restore makes of each node of a snapshot's trees, in walk order: a name of one component
/// (<see cref="SnapshotReader.CheckedName"/>), no name twice in a tree, no more files or directories than the snapshot
/// recorded nor more than <see cref="SnapshotReader.MaxEntries"/> entries, and a symlink target within
/// <see cref="RestorePlan.MaxLinkTarget"/>. One instance per walk, called on the walking thread only; shared by the
/// restore (<see cref="RestoreBatchVisitor"/>) and its dry run (<see cref="SnapshotPlannedTree"/>), so that both refuse
/// the same snapshots.
/// </summary>
internal sealed class TreeNodeCheck(ChunkId root, (long Files, long Directories) recorded)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private string? _namesOf;
    private long _files;
    private long _directories;
    private long _entries;

    /// <summary>
    /// Checks <paramref name="node"/> of the tree at <paramref name="path"/> (empty or ending in '/') and returns its
    /// path and kind; <see cref="FileType.Other"/> (a FIFO, socket or device, never restored) is checked by name only.
    /// Throws <see cref="UnsafeArchiveException"/> or <see cref="InvalidDataException"/>.
    /// </summary>
    public (string Child, FileType Type) Check(string path, TreeNode node)
    {
        var child = path + SnapshotReader.CheckedName(node.Name, path);
        var type = TypeOf(node);
        if (!ReferenceEquals(_namesOf, path))
        {
            _names.Clear();
            _namesOf = path;
        }
        if (!_names.Add(child))
        {
            throw new UnsafeArchiveException(EntryName.Escape(child), "appears more than once");
        }
        if (type == FileType.Other)
        {
            return (child, type);
        }
        if ((type == FileType.File && ++_files > recorded.Files) || (type == FileType.Directory && ++_directories > recorded.Directories))
        {
            throw new InvalidDataException(
                $"tree {root} lists more {(type == FileType.File ? "files" : "directories")} than its snapshot recorded ({recorded.Files} files, {recorded.Directories} directories), at {SnapshotReader.Shown(child)}: a tree is damaged or forged");
        }
        if (++_entries > SnapshotReader.MaxEntries)
        {
            throw new InvalidDataException($"tree {root} lists more than {SnapshotReader.MaxEntries} entries, at {SnapshotReader.Shown(child)}: more than a file system holds");
        }
        if (type == FileType.Symlink && node.Target is { Length: > RestorePlan.MaxLinkTarget } target)
        {
            throw new UnsafeArchiveException(EntryName.Escape(child), $"is a symlink with a {target.Length}-byte target (the limit is {RestorePlan.MaxLinkTarget})");
        }
        return (child, type);
    }

    /// <summary>The kind of entry a node restores as: a file, a directory, a symlink, or <see cref="FileType.Other"/> (not restored).</summary>
    public static FileType TypeOf(TreeNode node) =>
        node.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
}
