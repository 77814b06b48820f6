using Backup.Core.Repositories.Locks;

namespace Backup.Core.Repositories;

public sealed partial class Repository
{
    private readonly Lock _locksSync = new();
    private readonly List<RepositoryLock> _locks = [];

    /// <summary>True once the index has been loaded (at open, or by <see cref="ReloadIndexAsync"/>).</summary>
    public bool IndexLoaded { get; private set; }

    /// <summary>
    /// Replaces the index in memory by what <c>index/</c> lists now. Call it after taking the lock (lock, then load): an
    /// index read before could list packs that a prune has deleted since. <see cref="RepositoryLock.AcquireAsync"/>
    /// calls it when the index was loaded before. Throws <see cref="InvalidOperationException"/> while saved blobs are
    /// not flushed, and <see cref="InvalidDataException"/> naming a damaged index file.
    /// </summary>
    public async Task ReloadIndexAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_pending.Count > 0 || _unindexed.Count > 0)
            {
                throw new InvalidOperationException("the index cannot be reloaded while saved blobs are not flushed");
            }
            Index.Clear();
            _indexFiles.Clear();
        }
        IndexLoaded = false;
        await LoadIndexAsync(cancellationToken);
        IndexLoaded = true;
    }

    /// <summary>Makes <paramref name="held"/> one of the locks checked before every index or snapshot write.</summary>
    internal void AddLock(RepositoryLock held)
    {
        lock (_locksSync)
        {
            _locks.Add(held);
        }
    }

    /// <summary>Stops checking <paramref name="released"/>.</summary>
    internal void RemoveLock(RepositoryLock released)
    {
        lock (_locksSync)
        {
            _locks.Remove(released);
        }
    }

    /// <summary>
    /// Throws <see cref="RepositoryLockLostException"/> when a lock taken on this repository was lost: what is about to
    /// be written could refer to data that a prune, free to run now, deletes. Nothing happens without a lock.
    /// </summary>
    private async Task EnsureLocksHeldAsync(CancellationToken cancellationToken)
    {
        RepositoryLock[] held;
        lock (_locksSync)
        {
            held = [.. _locks];
        }
        foreach (var l in held)
        {
            await l.EnsureHeldAsync(cancellationToken);
        }
    }
}
