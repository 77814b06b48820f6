using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Backup.Core.Storage;

namespace Backup.Core.Repositories.Maintenance;

/// <summary>
/// Removes data no snapshot uses, and rebuilds the index from the packs. Both write the new state before deleting the
/// old: new packs, then one new index file, then the old index files, then the packs no longer listed. A crash at any
/// point leaves a repository in which every snapshot still restores. Run under an exclusive lock.
/// <paramref name="progress"/>, when given, counts the prune's phases: the snapshots marked ("reading snapshots"), the
/// packs considered and their bytes ("rewriting packs"), the packs deleted ("deleting packs").
/// </summary>
public sealed class Pruner(Repository repository, TimeProvider? time = null, ProgressCounters? progress = null)
{
    /// <summary>
    /// How old a pack that no index lists must be before prune deletes it. Such a pack is either left by an interrupted
    /// backup or being written by one whose index is not written yet (another host whose lock went stale, a clock that
    /// differs): a day is far longer than any backup takes between writing a pack and indexing it (restic and kopia keep
    /// a grace period for the same reason).
    /// </summary>
    public static readonly TimeSpan UnindexedPackGrace = TimeSpan.FromDays(1);

    // A pack is rewritten only when enough of it is unused: rewriting a mostly-used pack costs more I/O than it frees.
    private const double RepackWhenUnusedAbove = 0.10;

    /// <summary>What prune did.</summary>
    public sealed record Report(int PacksDeleted, int PacksRepacked, int PacksKept, long BytesFreed, int ChunksRemoved);

    /// <summary>
    /// Prunes: marks every tree and chunk reachable from a snapshot, drops packs with nothing in use, rewrites packs
    /// with more than 10% unused, and removes packs that no index lists (left by interrupted backups).
    /// A snapshot that cannot be read stops the prune: deleting what only it uses would lose data.
    /// </summary>
    public async Task<Report> PruneAsync(Action<string> onProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onProgress);
        // Under the exclusive lock no other process writes these kinds: every temporary file is a crash's leftover.
        var leftovers = 0;
        foreach (var kind in new[] { BlobKind.Pack, BlobKind.Index, BlobKind.Snapshot })
        {
            leftovers += await repository.Store.RemoveLeftoversAsync(kind, cancellationToken);
        }
        if (leftovers > 0)
        {
            onProgress($"removed {leftovers} temporary files left by interrupted runs");
        }
        var traversal = new SnapshotTraversal(repository);
        var unreadable = new List<string>();
        var ids = await repository.ListSnapshotIdsAsync(cancellationToken);
        progress?.Begin("reading snapshots", repository.Store.Location, "snapshots", ids.Count);
        foreach (var id in ids)
        {
            progress?.SetCurrent(id[..8]);
            progress?.CompleteItem();
            var snapshot = await repository.LoadSnapshotAsync(id, cancellationToken);
            await traversal.VisitAsync(snapshot, id[..8], null, unreadable.Add, cancellationToken);
        }
        if (unreadable.Count > 0)
        {
            throw new BackupException($"prune stopped, nothing was deleted: {Quantity.Count(unreadable.Count, "tree")} cannot be read ({unreadable[0]}); run 'backup check'");
        }
        bool Used(PackEntry e) => traversal.Trees.Contains(e.Id) || traversal.Data.Contains(e.Id);

        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var (name, size) in repository.Store.ListAsync(BlobKind.Pack, cancellationToken))
        {
            sizes[name] = size;
        }
        var next = new RepositoryIndex();
        var drop = new List<string>();
        int repacked = 0, chunksRemoved = 0;
        var rewrite = repository.NewPack();
        try
        {
            var packs = repository.Index.ByPack().ToList();
            progress?.Begin("rewriting packs", repository.Store.Location, "packs", packs.Count, packs.Sum(p => sizes.GetValueOrDefault(p.Pack)));
            foreach (var (pack, entries) in packs)
            {
                progress?.SetCurrent(pack[..Math.Min(8, pack.Length)]);
                progress?.CompleteItem(sizes.GetValueOrDefault(pack));
                var used = entries.Where(Used).ToList();
                var unusedBytes = entries.Where(e => !Used(e)).Sum(e => (long)e.Length);
                var packBytes = Math.Max(1, sizes.GetValueOrDefault(pack, entries.Sum(e => (long)e.Length)));
                chunksRemoved += entries.Count - used.Count;
                if (used.Count == entries.Count || (used.Count > 0 && unusedBytes < packBytes * RepackWhenUnusedAbove))
                {
                    next.AddPack(pack, entries);
                    continue;
                }
                drop.Add(pack);
                if (used.Count == 0)
                {
                    continue;
                }
                repacked++;
                var (_, bytes) = await repository.ReadPackAsync(pack, cancellationToken);
                foreach (var e in used)
                {
                    BlobLimits.Check(e, pack, bytes.Length);
                    rewrite.AddSealed(e.Type, e.Id, e.Compression, bytes.AsSpan((int)e.Offset, (int)e.Length), (int)e.RawLength);
                    if (rewrite.IsFull)
                    {
                        await FinishAsync(rewrite, next, cancellationToken);
                        rewrite = repository.NewPack();
                    }
                }
            }
            if (rewrite.Entries.Count > 0)
            {
                await FinishAsync(rewrite, next, cancellationToken);
            }
        }
        finally
        {
            rewrite.Dispose();
        }
        var orphans = new List<string>();
        var young = 0;
        var now = (time ?? TimeProvider.System).GetUtcNow();
        foreach (var pack in sizes.Keys.Where(p => !repository.Index.Packs.Contains(p) && !next.Packs.Contains(p)))
        {
            if (await repository.Store.StatAsync(BlobKind.Pack, pack, cancellationToken) is { } info && now - info.Modified < UnindexedPackGrace)
            {
                young++;
                continue;
            }
            orphans.Add(pack);
        }
        if (young > 0)
        {
            onProgress($"keeping {Quantity.Count(young, "pack")} that no index lists yet: younger than {UnindexedPackGrace.TotalHours:0} hours, a backup may still be writing them");
        }
        onProgress($"keeping {Quantity.Count(next.Packs.Count, "pack")}, rewrote {repacked}, deleting {drop.Count + orphans.Count}");
        await repository.RewriteIndexAsync(next, cancellationToken);
        long freed = 0;
        var deleted = drop.Concat(orphans).Distinct().ToList();
        if (deleted.Count > 0)
        {
            progress?.Begin("deleting packs", repository.Store.Location, "packs", deleted.Count, deleted.Sum(sizes.GetValueOrDefault));
        }
        foreach (var pack in deleted)
        {
            progress?.SetCurrent(pack[..Math.Min(8, pack.Length)]);
            progress?.CompleteItem(sizes.GetValueOrDefault(pack));
            await repository.Store.DeleteAsync(BlobKind.Pack, pack, cancellationToken);
            freed += sizes.GetValueOrDefault(pack);
        }
        return new Report(drop.Count - repacked + orphans.Count, repacked, next.Packs.Count, freed, chunksRemoved);
    }

    /// <summary>
    /// Rebuilds the index from the pack headers alone (after a lost or damaged index). Packs that cannot be read are
    /// reported and left out. Returns how many packs and chunks the new index lists.
    /// </summary>
    public async Task<(int Packs, int Chunks)> RepairIndexAsync(Action<string> onProblem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onProblem);
        var index = new RepositoryIndex();
        var names = new List<string>();
        await foreach (var (name, _) in repository.Store.ListAsync(BlobKind.Pack, cancellationToken))
        {
            names.Add(name);
        }
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            try
            {
                var (header, _) = await repository.ReadPackAsync(name, cancellationToken);
                index.AddPack(name, header);
            }
            catch (InvalidDataException e)
            {
                onProblem($"pack {name} left out: {e.Message}");
            }
        }
        await repository.RewriteIndexAsync(index, cancellationToken);
        return (index.Packs.Count, index.Count);
    }

    private static async Task FinishAsync(PackWriter pack, RepositoryIndex next, CancellationToken cancellationToken)
    {
        var entries = pack.Entries.ToList();
        var name = await pack.FinishAsync(cancellationToken);
        next.AddPack(name, entries);
        pack.Dispose();
    }
}
