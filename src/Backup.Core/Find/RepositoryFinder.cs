using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Core.Find;

/// <summary>
/// Finds the entries of repository snapshots that a pattern matches, through <see cref="SnapshotWalker"/>. A tree is
/// searched once: the matches below it are remembered (by tree id for a pattern on names, by tree id and path for one
/// on paths, since there they depend on where the tree lies), so that a tree that many snapshots share, an unchanged
/// folder, is neither loaded nor walked again. Not thread-safe: one search at a time.
/// </summary>
public sealed class RepositoryFinder
{
    private readonly Repository _repository;
    private readonly IReadOnlyList<PathPattern> _patterns;
    private readonly bool _onNames;
    private readonly Dictionary<(ChunkId Tree, string? Path), Found> _memo = [];

    /// <summary>Finds what any of <paramref name="patterns"/> matches in snapshots of <paramref name="repository"/>.</summary>
    public RepositoryFinder(Repository repository, IReadOnlyList<PathPattern> patterns)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(patterns);
        _repository = repository;
        _patterns = patterns;
        _onNames = patterns.All(p => p.OnName);
    }

    /// <summary>Trees loaded and walked so far.</summary>
    public long TreesWalked { get; private set; }

    /// <summary>Trees met again (in the same or another snapshot) whose matches were remembered, so not walked again.</summary>
    public long TreesReused { get; private set; }

    /// <summary>
    /// The matching entries of <paramref name="snapshot"/>, in walk order (a folder's entries, then its folders'). A tree
    /// that cannot be read is reported to <paramref name="unreadable"/> and left out. Throws what the repository throws
    /// for other failures.
    /// </summary>
    public async Task<IReadOnlyList<FoundEntry>> FindAsync(SnapshotObject snapshot, Action<string> unreadable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(unreadable);
        var visitor = new Visitor(this, unreadable);
        var root = snapshot.SourcePath.TrimEnd('/');
        await SnapshotWalker.WalkAsync(_repository, ChunkId.ParseStored(snapshot.Tree, "snapshot"), root, visitor, cancellationToken);
        visitor.CloseAll();
        return visitor.Output;
    }

    /// <summary>The matches below one tree: a run of an earlier output, its paths under <see cref="Base"/>.</summary>
    private sealed record Found(List<FoundEntry> Output, int Start, int Count, string Base);

    /// <summary>
    /// The walk is depth first, so everything below a tree is visited after it is entered and before the walk enters a
    /// tree that is not below it: the tree's matches are the run of the output between those two moments.
    /// </summary>
    private sealed class Visitor(RepositoryFinder finder, Action<string> unreadable) : ITreeVisitor
    {
        private readonly Stack<(ChunkId Tree, string Path, int Start)> _open = new();

        public List<FoundEntry> Output { get; } = [];

        public bool Enter(ChunkId tree, string path)
        {
            while (_open.Count > 0 && !path.StartsWith(_open.Peek().Path + "/", StringComparison.Ordinal))
            {
                Close(_open.Pop());
            }
            if (finder._memo.TryGetValue(Key(tree, path), out var found))
            {
                finder.TreesReused++;
                for (var i = found.Start; i < found.Start + found.Count; i++)
                {
                    var entry = found.Output[i];
                    Output.Add(found.Base == path ? entry : entry with { Path = path + entry.Path[found.Base.Length..] });
                }
                return false;
            }
            finder.TreesWalked++;
            _open.Push((tree, path, Output.Count));
            return true;
        }

        public void Unreadable(ChunkId tree, string path, InvalidDataException error)
        {
            // Not remembered: the next snapshot that holds it reports it too.
            if (_open.Count > 0 && _open.Peek().Tree == tree && _open.Peek().Path == path)
            {
                _open.Pop();
            }
            unreadable($"tree {tree.ToString()[..16]} at {EntryName.Escape(path)}: {error.Message}");
        }

        public string? Visit(string path, TreeNode node)
        {
            var name = EntryName.Decode(node.Name);
            var child = path + "/" + name;
            if (finder._patterns.Any(p => p.Matches(name, child)))
            {
                var type = node.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
                Output.Add(new FoundEntry(child, type, node.Mode & 0xFFF, node.Size, node.MtimeNs));
            }
            return node.Subtree is null ? null : child;
        }

        public void CloseAll()
        {
            while (_open.Count > 0)
            {
                Close(_open.Pop());
            }
        }

        private void Close((ChunkId Tree, string Path, int Start) open) =>
            finder._memo[Key(open.Tree, open.Path)] = new Found(Output, open.Start, Output.Count - open.Start, open.Path);

        private (ChunkId, string?) Key(ChunkId tree, string path) => (tree, finder._onNames ? null : path);
    }
}
