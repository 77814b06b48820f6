using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>
/// The one walk of a snapshot's trees (restic's <c>walker.Walk</c>), shared by ls, diff, restore (through
/// <see cref="SnapshotReader"/>), check, prune and stats (through <see cref="SnapshotTraversal"/>): depth first, each
/// tree's nodes in stored order, then each subtree, then <see cref="ITreeVisitor.LeaveAsync"/>; refusing a tree that is its own ancestor so that a forged tree cannot walk without end.
/// </summary>
public static class SnapshotWalker
{
    /// <summary>
    /// Walks the trees below <paramref name="root"/>, whose path (the visitor's own) is <paramref name="rootPath"/>,
    /// telling <paramref name="visitor"/> each tree and node. A tree that cannot be read goes to
    /// <see cref="ITreeVisitor.Unreadable"/>; other failures of the repository propagate.
    /// </summary>
    public static async Task WalkAsync(Repository repository, ChunkId root, string rootPath, ITreeVisitor visitor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(rootPath);
        ArgumentNullException.ThrowIfNull(visitor);
        var pending = new Stack<(string Path, ChunkId Tree, Ancestor? Above, bool Left)>();
        pending.Push((rootPath, root, null, false));
        while (pending.Count > 0)
        {
            var (path, id, above, left) = pending.Pop();
            if (left)
            {
                await visitor.LeaveAsync(path, cancellationToken);
                continue;
            }
            if (!visitor.Enter(id, path))
            {
                continue;
            }
            if (IsAncestor(id, above))
            {
                // Tree ids are keyed hashes of their content, so only a forged id can point back up.
                visitor.Unreadable(id, path, new InvalidDataException($"tree {id} is its own ancestor (a cycle): the snapshot is damaged or forged"));
                continue;
            }
            TreeObject tree;
            try
            {
                tree = await repository.LoadTreeAsync(id, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                visitor.Unreadable(id, path, e);
                continue;
            }
            var here = new Ancestor(id, above);
            pending.Push((path, id, above, true)); // below its subtrees: popped once they are all walked
            foreach (var node in tree.Nodes)
            {
                if (visitor.Visit(path, node) is { } childPath && node.Subtree is not null)
                {
                    pending.Push((childPath, ChunkId.Parse(node.Subtree), here, false));
                }
            }
        }
    }

    private static bool IsAncestor(ChunkId id, Ancestor? above)
    {
        for (var a = above; a is not null; a = a.Above)
        {
            if (a.Tree == id)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A tree on the path from the root to the tree being walked.</summary>
    private sealed record Ancestor(ChunkId Tree, Ancestor? Above);
}
