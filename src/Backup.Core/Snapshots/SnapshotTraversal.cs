using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Snapshots;

/// <summary>
/// Walks the trees of snapshots once each (a tree shared by many snapshots is read once), reporting every tree id,
/// every file with its chunk ids, and trees that cannot be read. Used by check, prune and stats.
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
        var root = ChunkId.Parse(snapshot.Tree);
        var pending = new Stack<(string Path, ChunkId Tree)>();
        pending.Push((label, root));
        while (pending.Count > 0)
        {
            var (path, id) = pending.Pop();
            if (!Trees.Add(id))
            {
                continue;
            }
            TreeObject tree;
            try
            {
                tree = await repository.LoadTreeAsync(id, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                onError($"tree {id.ToString()[..16]} of {path}: {e.Message}");
                continue;
            }
            foreach (var node in tree.Nodes)
            {
                var child = path + "/" + Posix.EntryName.Escape(node.Name);
                if (node.Subtree is not null)
                {
                    pending.Push((child, ChunkId.Parse(node.Subtree)));
                }
                if (node.Content is { Count: > 0 } content)
                {
                    var ids = content.Select(ChunkId.Parse).ToList();
                    Data.UnionWith(ids);
                    onFile?.Invoke(child, ids);
                }
            }
        }
    }
}
