using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// What a watch keeps of the last snapshot it wrote of one path, so that the next one is built from the changes alone
/// (docs/design.md, "Continuous protection"): the snapshot and its root tree, its subtree index, each directory's
/// totals (files, directories and bytes below it, which a reused subtree adds without being walked) and which
/// directories hold each file's inode (<see cref="InodeDirectories"/>). Made by
/// <see cref="RepositoryArchiver.ArchiveChangesAsync(string, SnapshotBasis?, Changes.ChangedDirectories, Sources.ExcludeRules, CancellationToken)"/>; held in memory only.
/// </summary>
public sealed class SnapshotBasis
{
    internal SnapshotBasis(string snapshotId, SnapshotObject snapshot, SubtreeIndex index, Dictionary<UInt128, SubtreeTotals> totals, InodeDirectories inodes)
    {
        SnapshotId = snapshotId;
        Snapshot = snapshot;
        Index = index;
        Totals = totals;
        Inodes = inodes;
    }

    /// <summary>The snapshot's id in the repository.</summary>
    public string SnapshotId { get; }

    /// <summary>The root tree's id.</summary>
    public string Tree => Snapshot.Tree;

    /// <summary>Directories whose stored tree can be reused unread.</summary>
    public int Directories => Totals.Count;

    internal SnapshotObject Snapshot { get; }

    internal SubtreeIndex Index { get; }

    internal Dictionary<UInt128, SubtreeTotals> Totals { get; }

    internal InodeDirectories Inodes { get; }

    /// <summary>True when the directory at <paramref name="relativePath"/> can be reused without listing it: it is indexed, with its totals.</summary>
    internal bool CanReuse(ReadOnlySpan<byte> relativePath)
    {
        var key = SubtreeIndex.KeyOf(relativePath);
        return Totals.ContainsKey(key) && Index.Get(key) is not null;
    }
}
