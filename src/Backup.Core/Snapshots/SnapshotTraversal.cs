using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>
/// Walks the trees of snapshots once each (a tree shared by many snapshots is read once), reporting every tree id,
/// every file with its chunk ids, and trees that cannot be read. Used by check, prune and stats; the walk itself is
/// <see cref="SnapshotWalker"/>'s.
/// </summary>
internal sealed class SnapshotTraversal(Repository repository)
{
    /// <summary>Tree ids met.</summary>
    public HashSet<ChunkId> Trees { get; } = [];

    /// <summary>Data chunk ids met.</summary>
    public HashSet<ChunkId> Data { get; } = [];

    /// <summary>
    /// Visits <paramref name="snapshot"/>: its trees (<paramref name="onFile"/> gets each file's path and chunk ids, only
    /// for trees not seen before; <paramref name="onError"/> gets each tree that could not be read) and the blobs of its
    /// subtree index, which count as trees. With <paramref name="readSubtreeIndex"/> those are read and checked too.
    /// </summary>
    public async Task VisitAsync(
        SnapshotObject snapshot, string label, Action<string, IReadOnlyList<ChunkId>>? onFile, Action<string> onError,
        CancellationToken cancellationToken, bool readSubtreeIndex = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var blob in snapshot.SubtreeIndex ?? [])
        {
            var id = ChunkId.Parse(blob);
            if (Trees.Add(id) && readSubtreeIndex)
            {
                try
                {
                    new SubtreeIndex().AddEncoded(await repository.LoadBlobAsync(id, cancellationToken));
                }
                catch (InvalidDataException e)
                {
                    onError($"subtree index {id.ToString()[..16]} of {label}: {e.Message}");
                }
            }
        }
        await SnapshotWalker.WalkAsync(repository, ChunkId.Parse(snapshot.Tree), label, new Visitor(this, onFile, onError), cancellationToken);
    }

    /// <summary>Paths are the label, then escaped names joined by '/'.</summary>
    private sealed class Visitor(SnapshotTraversal traversal, Action<string, IReadOnlyList<ChunkId>>? onFile, Action<string> onError) : ITreeVisitor
    {
        public bool Enter(ChunkId tree, string path) => traversal.Trees.Add(tree);

        public void Unreadable(ChunkId tree, string path, InvalidDataException error) => onError($"tree {tree.ToString()[..16]} of {path}: {error.Message}");

        public string? Visit(string path, TreeNode node)
        {
            var child = path + "/" + Posix.EntryName.Escape(node.Name);
            if (node.Content is { Count: > 0 } content)
            {
                var ids = content.Select(ChunkId.Parse).ToList();
                traversal.Data.UnionWith(ids);
                onFile?.Invoke(child, ids);
            }
            return child;
        }
    }
}
