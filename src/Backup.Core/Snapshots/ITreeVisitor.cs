using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>
/// What <see cref="SnapshotWalker.WalkAsync"/> tells the code that walks a snapshot's trees (restic's walker visitor).
/// Paths are the visitor's own: the walker only hands back what <see cref="Visit"/> returned for a directory. Called on
/// the walking thread, one call at a time.
/// </summary>
public interface ITreeVisitor
{
    /// <summary>Called before tree <paramref name="tree"/> at <paramref name="path"/> is loaded; false skips it and all below it (a tree walked before).</summary>
    bool Enter(ChunkId tree, string path);

    /// <summary>
    /// Tree <paramref name="tree"/> at <paramref name="path"/> cannot be walked: missing, damaged, not a tree, or its own
    /// ancestor (only a forged id can point back up). Throw to stop the walk; return to go on without it.
    /// </summary>
    void Unreadable(ChunkId tree, string path, InvalidDataException error);

    /// <summary>
    /// One node of the tree at <paramref name="path"/>. Returns the path under which the walk enters the node's
    /// subtree, or null to leave it unwalked (a node without a subtree is never entered).
    /// </summary>
    string? Visit(string path, TreeNode node);

    /// <summary>
    /// The walk has left the tree it entered at <paramref name="path"/>: every node below it has been visited. The walk
    /// waits for the returned task, so a visitor can hand on what it gathered (a restore's batch) before it goes on.
    /// </summary>
    ValueTask LeaveAsync(string path, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
