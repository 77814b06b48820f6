using System.Runtime.ExceptionServices;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;

namespace Backup.Core.Snapshots;

/// <summary>
/// What an unfiltered restore of a snapshot plans, as an <see cref="IPlannedTree"/> that holds only the snapshot's
/// directories (each path with its tree id), the first path by name of each hard-link group, and the totals: a dry run
/// or <c>--delete</c> then uses memory that grows with the number of directories, not files. <see cref="LoadAsync"/>
/// walks every tree once and checks every node as the restore does (<see cref="TreeNodeCheck"/>), so that a damaged or
/// forged snapshot is refused before anything in the target is removed; <see cref="ChildrenAsync"/> then loads the one
/// tree of the directory asked for. Entries are counted as <see cref="RestorePlan"/> counts them: every name of a
/// hard-linked file is a file, only the group's first by path with its size. A filtered selection needs the whole
/// plan (<see cref="TargetReconciler(RestorePlan, RestoreSelection)"/>). Not thread-safe: one walk at a time.
/// </summary>
public sealed class SnapshotPlannedTree : IPlannedTree
{
    private static readonly IReadOnlyDictionary<string, PlannedEntry> s_none = new Dictionary<string, PlannedEntry>();
    private readonly Repository _repository;
    private readonly ChunkId _root;

    // Every directory of the snapshot by path, with its tree (null: an empty directory without one).
    private readonly Dictionary<string, ChunkId?> _trees = new(StringComparer.Ordinal);

    // The first path by name (ordinal) of each hard-link group: the one name written with the group's data.
    private readonly Dictionary<string, string> _firstLinks = new(StringComparer.Ordinal);

    private SnapshotPlannedTree(Repository repository, ChunkId root)
    {
        _repository = repository;
        _root = root;
    }

    /// <inheritdoc/>
    public EntryTally Total { get; } = new();

    /// <summary>The trees <see cref="ChildrenAsync"/> has loaded: one per directory asked for.</summary>
    internal int TreesLoaded { get; private set; }

    /// <summary>What this holds between calls, by path: the directories and the hard-link groups (a test's measure).</summary>
    internal int PathsHeld => _trees.Count + _firstLinks.Count;

    /// <summary>
    /// Walks the trees of <paramref name="snapshot"/>, checking every node, and keeps what <see cref="ChildrenAsync"/>
    /// needs. Throws as the restore's listing does: <see cref="UnsafeArchiveException"/> for a bad name, a name twice or
    /// a symlink target too long, <see cref="InvalidDataException"/> for a tree that cannot be read or a snapshot that
    /// lists more than it recorded.
    /// </summary>
    public static async Task<SnapshotPlannedTree> LoadAsync(Repository repository, SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        var root = ChunkId.ParseStored(snapshot.Tree, "snapshot");
        var planned = new SnapshotPlannedTree(repository, root);
        await SnapshotWalker.WalkAsync(repository, root, "", new Collector(planned, new TreeNodeCheck(root, (snapshot.Files, snapshot.Directories))), cancellationToken);
        return planned;
    }

    /// <inheritdoc/>
    /// <remarks>Loads the directory's one tree (again: <see cref="LoadAsync"/> kept only its id).</remarks>
    public async ValueTask<IReadOnlyDictionary<string, PlannedEntry>> ChildrenAsync(string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ChunkId? id = directory.Length == 0 ? _root : _trees.GetValueOrDefault(directory);
        if (id is null)
        {
            return s_none;
        }
        var tree = await _repository.LoadTreeAsync(id.Value, cancellationToken);
        TreesLoaded++;
        var prefix = directory.Length == 0 ? "" : directory + "/";
        var children = new Dictionary<string, PlannedEntry>(tree.Nodes.Count, StringComparer.Ordinal);
        foreach (var node in tree.Nodes)
        {
            var type = TreeNodeCheck.TypeOf(node);
            if (type == FileType.Other)
            {
                continue;
            }
            var name = SnapshotReader.CheckedName(node.Name, prefix);
            var size = type == FileType.File && (SnapshotReader.HardLinkGroupOf(node) is not { } group || _firstLinks[group] == prefix + name)
                ? node.Size
                : 0;
            children.Add(name, new PlannedEntry(type, size));
        }
        return children;
    }

    /// <summary>The walk of <see cref="LoadAsync"/>.</summary>
    private sealed class Collector(SnapshotPlannedTree planned, TreeNodeCheck check) : ITreeVisitor
    {
        public bool Enter(ChunkId tree, string path) => true;

        public void Unreadable(ChunkId tree, string path, InvalidDataException error) => ExceptionDispatchInfo.Throw(error);

        public string? Visit(string path, TreeNode node)
        {
            var (child, type) = check.Check(path, node);
            switch (type)
            {
                case FileType.Directory:
                    planned._trees.Add(child, node.Subtree is null ? null : ChunkId.Parse(node.Subtree));
                    planned.Total.Add(type, 0);
                    return node.Subtree is null ? null : child + "/";
                case FileType.File when SnapshotReader.HardLinkGroupOf(node) is { } group:
                    // Every name of a group has its size: the group's bytes are counted once, whichever name is first.
                    if (planned._firstLinks.TryGetValue(group, out var first))
                    {
                        planned.Total.Add(type, 0);
                        if (string.CompareOrdinal(child, first) < 0)
                        {
                            planned._firstLinks[group] = child;
                        }
                    }
                    else
                    {
                        planned.Total.Add(type, node.Size);
                        planned._firstLinks.Add(group, child);
                    }
                    return null;
                case FileType.File:
                    planned.Total.Add(type, node.Size);
                    return null;
                case FileType.Symlink:
                    planned.Total.Add(type, 0);
                    return null;
                default:
                    return null;
            }
        }
    }
}
