using Backup.Core.Archiving.Zip;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Core.Dump;

/// <summary>
/// Finds one path of a snapshot, for dump: in a repository snapshot by loading only the trees on the way to it (and,
/// for a directory, listing its subtree through <see cref="SnapshotReader"/>); in a zip snapshot through its central
/// directory, every name checked as restore checks it.
/// </summary>
public static class SnapshotPaths
{
    /// <summary>The permissions given to a directory that an archive does not describe (its root, a zip folder without an entry).</summary>
    private const uint DefaultDirectoryPermissions = 0x1ED; // 0755, what mkdir makes under the usual umask

    /// <summary>
    /// The entry at <paramref name="relative"/> ('/'-separated, no '.', '..' or empty component; "" for the root) of
    /// <paramref name="snapshot"/>, with what lies below it; null when there is none. Throws
    /// <see cref="InvalidDataException"/> for a tree that cannot be read.
    /// </summary>
    public static Task<DumpSelection?> FindAsync(Repository repository, SnapshotObject snapshot, string relative, CancellationToken cancellationToken) =>
        FindAsync(repository, snapshot, relative, childrenOnly: false, cancellationToken);

    /// <summary>
    /// As <see cref="FindAsync(Repository, SnapshotObject, string, CancellationToken)"/>; with
    /// <paramref name="childrenOnly"/>, <see cref="DumpSelection.Below"/> of a directory holds only its own entries (one
    /// tree read, not the whole subtree).
    /// </summary>
    public static async Task<DumpSelection?> FindAsync(Repository repository, SnapshotObject snapshot, string relative, bool childrenOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(relative);
        var reader = new SnapshotReader(repository);
        if (relative.Length == 0)
        {
            var root = new RestoreEntry("", FileType.Directory, DefaultDirectoryPermissions, ToNs(snapshot.Time), 0, snapshot);
            var entries = childrenOnly
                ? await reader.ListChildrenAsync(ChunkId.ParseStored(snapshot.Tree, "snapshot"), cancellationToken)
                : await reader.ListAsync(snapshot, cancellationToken);
            return new DumpSelection(root, RootName(snapshot.SourcePath), entries, reader, null);
        }
        var tree = ChunkId.ParseStored(snapshot.Tree, "snapshot");
        TreeNode? node = null;
        foreach (var name in relative.Split('/'))
        {
            if (node is not null)
            {
                if (node.Subtree is null)
                {
                    return null;
                }
                tree = ChunkId.ParseStored(node.Subtree, $"the node of {EntryName.Escape(relative)}");
            }
            var raw = EntryName.Encode(name);
            node = (await repository.LoadTreeAsync(tree, cancellationToken)).Nodes.FirstOrDefault(n => n.Name.AsSpan().SequenceEqual(raw));
            if (node is null)
            {
                return null;
            }
        }
        var type = node!.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
        var top = new RestoreEntry(relative, type, node.Mode & 0xFFF, node.MtimeNs, node.Size, node)
        {
            Xattrs = node.DecodeXattrs(),
            Owner = (node.Uid, node.Gid),
        };
        ChunkId? subtree = type == FileType.Directory && node.Subtree is not null ? ChunkId.ParseStored(node.Subtree, $"the node of {EntryName.Escape(relative)}") : null;
        var below = subtree is null ? []
            : childrenOnly ? await reader.ListChildrenAsync(subtree.Value, cancellationToken)
            : await reader.ListAsync(subtree.Value, cancellationToken);
        return new DumpSelection(top, EntryName.Decode(node.Name), below, reader, null);
    }

    /// <summary>
    /// The entry at <paramref name="relative"/> of the zip snapshot <paramref name="archive"/> of
    /// <paramref name="sourcePath"/>, taken at <paramref name="time"/>; null when there is none. A folder named only by
    /// the entries below it is a directory of mode 0755 and the snapshot's time. Throws
    /// <see cref="InvalidDataException"/> for a damaged zip and <see cref="UnsafeArchiveException"/> for an entry whose
    /// name restore would refuse, or entries that overlap.
    /// </summary>
    public static DumpSelection? Find(string archive, string sourcePath, DateTimeOffset time, string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        var reader = ZipReader.Open(archive);
        try
        {
            RestoreEntry? top = null;
            var below = new List<RestoreEntry>();
            var selected = new List<ZipEntry>();
            foreach (var entry in reader.ReadEntries())
            {
                var path = RestorePlan.Normalize(entry.Name);
                if (path == relative)
                {
                    top = ZipRestorer.ToRestoreEntry(entry);
                    selected.Add(entry);
                }
                else if (relative.Length == 0 || path.StartsWith(relative + "/", StringComparison.Ordinal))
                {
                    below.Add(ZipRestorer.ToRestoreEntry(entry) with { Path = relative.Length == 0 ? path : path[(relative.Length + 1)..] });
                    selected.Add(entry);
                }
            }
            if (top is null && below.Count == 0 && relative.Length > 0)
            {
                reader.Dispose();
                return null;
            }
            reader.CheckNoOverlap(selected);
            top ??= new RestoreEntry(relative, FileType.Directory, DefaultDirectoryPermissions, ToNs(time), 0, archive);
            var name = relative.Length == 0 ? RootName(sourcePath) : relative[(relative.LastIndexOf('/') + 1)..];
            return new DumpSelection(top, name, top.Type == FileType.Directory ? below : [], new ZipRestorer.Source(reader), reader);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The name of a snapshot's root in a dump: its source folder's own name ("root" for /).</summary>
    private static string RootName(string sourcePath)
    {
        var trimmed = sourcePath.TrimEnd('/');
        var name = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        return name.Length == 0 ? "root" : name;
    }

    private static long ToNs(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;
}
