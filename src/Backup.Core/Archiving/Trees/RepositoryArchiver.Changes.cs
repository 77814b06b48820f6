using Backup.Core.Changes;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

public sealed partial class RepositoryArchiver
{
    /// <summary>
    /// Writes a snapshot of <paramref name="sourceRoot"/> for a watch (docs/design.md, "Continuous protection").
    /// Without a <paramref name="basis"/> (the first snapshot of a watch) the whole tree is walked, with the newest
    /// snapshot of the path as parent. With one, only the directories <paramref name="changes"/> names (and those the
    /// basis cannot reuse) are listed; every other subtree is reused unread, and the result is the snapshot a full walk
    /// would have made. Changes that are <see cref="ChangedDirectories.Everything"/> walk the whole tree against the
    /// basis (a rescan). Either way the walk tells <paramref name="changes"/> of every directory it lists. When the tree equals the basis's, no snapshot is written (<see cref="ChangeArchiveResult.Result"/>
    /// is null). A hard link added or removed in a listed directory lists the directories of its other names too.
    /// </summary>
    /// <remarks>
    /// The <paramref name="rules"/> must be those the basis was built with: a caller whose rules changed starts again
    /// without a basis (a subtree built under other rules is not what these would build).
    /// </remarks>
    public async Task<ChangeArchiveResult> ArchiveChangesAsync(
        string sourceRoot, SnapshotBasis? basis, ChangedDirectories changes, ExcludeRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceRoot);
        ArgumentNullException.ThrowIfNull(rules);
        var time = _time.GetUtcNow();
        var (parentId, parent, parentIndex) = basis is null
            ? await LatestOfAsync(sourceRoot, cancellationToken)
            : (basis.SnapshotId, basis.Snapshot, basis.Index);
        var pruning = basis is not null && !changes.Everything;
        var build = pruning ? await TryBuildAsync(sourceRoot, rules, parent, parentIndex, basis, changes, cancellationToken) : null;
        if (build is not null && build.Builder.ChangedLinks.Count > 0 && await FollowLinksAsync(sourceRoot, rules, build, cancellationToken) is { } second)
        {
            build.Builder.Dispose();
            build = second;
        }
        build ??= await BuildAsync(sourceRoot, rules, parent, parentIndex, basis, new EverythingScope(changes), pruning: false, cancellationToken);
        using var builder = build.Builder;
        var complete = build.Problems.Count == 0;
        if (basis is not null && build.Root.ToString() == basis.Tree && complete == basis.Snapshot.Complete)
        {
            await _repository.FlushAsync(cancellationToken);
            return new ChangeArchiveResult(null, new SnapshotBasis(basis.SnapshotId, basis.Snapshot, builder.Index, builder.Totals, builder.Inodes), builder.Listed.Count, builder.ReusedSubtrees, build.Problems);
        }
        var hash = build.DirHash ?? "tree:" + build.Root;
        var (id, snapshot) = await SaveAsync(sourceRoot, time, parentId, build, hash, cancellationToken);
        return new ChangeArchiveResult(
            new ArchiveResult(SnapshotPath(Destination, id), InfoOf(snapshot), build.Problems) { StoredBytes = snapshot.NewBytes },
            new SnapshotBasis(id, snapshot, builder.Index, builder.Totals, builder.Inodes),
            builder.Listed.Count, builder.ReusedSubtrees, build.Problems);
    }

    /// <summary>Writes a snapshot for a watch with no exclude rules but the ignore files in the tree.</summary>
    public Task<ChangeArchiveResult> ArchiveChangesAsync(string sourceRoot, SnapshotBasis? basis, ChangedDirectories changes, CancellationToken cancellationToken) =>
        ArchiveChangesAsync(sourceRoot, basis, changes, ExcludeRules.None, cancellationToken);

    /// <summary>A build from changes, or null when a subtree it did not list cannot be reused (then the caller walks everything).</summary>
    private async Task<Build?> TryBuildAsync(
        string sourceRoot, ExcludeRules rules, SnapshotObject? parent, SubtreeIndex? parentIndex, SnapshotBasis? basis, IWalkScope changes, CancellationToken cancellationToken,
        bool keepBasis = true)
    {
        try
        {
            return await BuildAsync(sourceRoot, rules, parent, parentIndex, basis, new ReusableScope(changes, basis!), pruning: true, cancellationToken, keepBasis: keepBasis);
        }
        catch (SubtreeUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// A second build over the first one when hard links changed: the other names of those files lie in directories the
    /// first build may not have listed, whose nodes changed too (link count, ctime). Null when it fails to reuse.
    /// </summary>
    private async Task<Build?> FollowLinksAsync(string sourceRoot, ExcludeRules rules, Build first, CancellationToken cancellationToken)
    {
        var builder = first.Builder;
        var more = new ChangedDirectories();
        foreach (var link in builder.ChangedLinks)
        {
            foreach (var directory in builder.Inodes.DirectoriesOf(link))
            {
                if (!builder.Listed.Contains(System.Text.Encoding.Latin1.GetString(directory)))
                {
                    more.Add(directory);
                }
            }
        }
        if (more.IsEmpty)
        {
            return null;
        }
        // The first build's trees are reused by the second only once they are indexed.
        await _repository.FlushAsync(cancellationToken);
        var interim = new SnapshotObject
        {
            Tree = first.Root.ToString(), SourcePath = sourceRoot, Complete = first.Problems.Count == 0, Host = Environment.MachineName, Time = _time.GetUtcNow(),
        };
        var basis = new SnapshotBasis("", interim, builder.Index, builder.Totals, builder.Inodes);
        return await TryBuildAsync(sourceRoot, rules, interim, builder.Index, basis, more, cancellationToken);
    }

    private async Task<Build> BuildAsync(
        string sourceRoot, ExcludeRules rules, SnapshotObject? parent, SubtreeIndex? parentIndex, SnapshotBasis? basis, IWalkScope scope, bool pruning, CancellationToken cancellationToken,
        bool dirHash = true, bool keepBasis = true)
    {
        var problems = new List<TreeProblem>();
        var builder = new SnapshotTreeBuilder(
            new TreeBuilderRepository(_repository), parent is null ? null : ChunkId.Parse(parent.Tree), parentIndex, problems.Add, basis, pruning, keepBasis)
        {
            Progress = _progress,
        };
        try
        {
            var walk = TreeWalker.Walk(sourceRoot, builder.Report, cancellationToken, _excluded, undecodableDirectories: true, scope, rules);
            // A full walk also yields the dirhash, so that a later `backup run` of an unchanged tree finds nothing to do.
            DirHash.Accumulator? hash = pruning || !dirHash ? null : new DirHash.Accumulator(DirHash.VolatileDirectories(_excluded));
            var root = await builder.BuildAsync(hash is null ? walk : walk.Select(e => { hash.Add(e); return e; }), cancellationToken);
            return new Build(builder, root, problems, hash?.Finish());
        }
        catch
        {
            builder.Dispose();
            throw;
        }
    }

    private async Task<(string Id, SnapshotObject Snapshot)> SaveAsync(string sourceRoot, DateTimeOffset time, string? parentId, Build build, string hash, CancellationToken cancellationToken)
    {
        var builder = build.Builder;
        var subtreeIndex = new List<string>();
        foreach (var blob in builder.Index.Encode())
        {
            subtreeIndex.Add((await _repository.SaveBlobAsync(Encryption.BlobType.Tree, blob, cancellationToken)).Id.ToString());
        }
        await _repository.FlushAsync(cancellationToken);
        var snapshot = new SnapshotObject
        {
            Time = time,
            Host = Environment.MachineName,
            Username = Environment.UserName,
            SourcePath = sourceRoot,
            Parent = parentId,
            Tree = build.Root.ToString(),
            Hash = hash,
            Files = builder.Files,
            Directories = builder.Directories,
            Bytes = builder.Bytes,
            NewChunks = builder.NewChunks,
            NewBytes = builder.NewBytes,
            Complete = build.Problems.Count == 0,
            SubtreeIndex = subtreeIndex,
        };
        return (await _repository.SaveSnapshotAsync(snapshot, cancellationToken), snapshot);
    }

    /// <summary>One build's builder (disposed by whoever ends up with it), root tree, problems and, for a full walk, dirhash.</summary>
    private sealed record Build(SnapshotTreeBuilder Builder, ChunkId Root, List<TreeProblem> Problems, string? DirHash);

    /// <summary>Lists everything, telling the changes of each directory (so that a watch adds its watches).</summary>
    private sealed class EverythingScope(IWalkScope changes) : IWalkScope
    {
        public void Entering(Posix.WalkDirectory directory, ReadOnlySpan<byte> relativePath) => changes.Entering(directory, relativePath);

        public bool ShouldList(ReadOnlySpan<byte> relativePath, out bool deep)
        {
            deep = true;
            return true;
        }
    }

    /// <summary>The changes' scope, which also lists every directory the basis cannot reuse (never indexed, or something below it was left out).</summary>
    private sealed class ReusableScope(IWalkScope changes, SnapshotBasis basis) : IWalkScope
    {
        public void Entering(Posix.WalkDirectory directory, ReadOnlySpan<byte> relativePath) => changes.Entering(directory, relativePath);

        public bool ShouldList(ReadOnlySpan<byte> relativePath, out bool deep)
        {
            if (changes.ShouldList(relativePath, out deep))
            {
                return true;
            }
            return !basis.CanReuse(relativePath);
        }
    }
}
