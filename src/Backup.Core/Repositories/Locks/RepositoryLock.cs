using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Storage;

namespace Backup.Core.Repositories.Locks;

/// <summary>
/// A lock object in <c>locks/</c> (docs/repository.md, "Locks"). Backups and the commands that read take shared locks
/// and run side by side; prune takes an exclusive one. A lock of this host and pid namespace is stale when its process
/// is gone, any other lock when it was not refreshed for <see cref="StaleAfter"/>; a stale lock is reported and ignored
/// (and removed when it is this host's). The holder refreshes its lock and, before the repository writes an index or a
/// snapshot, checks that it still holds it (<see cref="EnsureHeldAsync"/>). Dispose to release.
/// </summary>
public sealed partial class RepositoryLock : IAsyncDisposable
{
    /// <summary>A lock of another host (or pid namespace) older than this is stale: a live holder refreshes every <see cref="RefreshEvery"/>.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);

    /// <summary>How often a holder rewrites its lock.</summary>
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(5);

    /// <summary>How soon a refresh that failed is tried again: a store that did not answer may answer in a moment.</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(30);

    private readonly Repository _repository;
    private readonly LockObject _lock;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    // Serializes a refresh (write the new file, delete the old) against a check that reads the current one.
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly List<string> _leftovers = [];
    private readonly Task _refresher;
    private string _name;
    private DateTimeOffset _refreshed;
    private string? _lost;

    private RepositoryLock(Repository repository, LockObject lockObject, string name, TimeProvider time)
    {
        _repository = repository;
        _lock = lockObject;
        _name = name;
        _refreshed = lockObject.Time;
        _time = time;
        _refresher = RefreshAsync();
    }

    /// <summary>
    /// Takes a lock. Throws <see cref="RepositoryLockedException"/> naming the holder when a conflicting lock is held.
    /// <paramref name="onWarning"/> hears of every stale or unreadable lock met. When <paramref name="repository"/>'s
    /// index was loaded before, it is loaded again now that the lock is held: a prune that ran in between may have
    /// deleted what it lists. From now on the repository checks the lock before it writes an index or a snapshot.
    /// </summary>
    public static async Task<RepositoryLock> AcquireAsync(
        Repository repository, string operation, bool exclusive, Action<string> onWarning, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(onWarning);
        ArgumentNullException.ThrowIfNull(time);
        await CheckConflictsAsync(repository, exclusive, null, onWarning, time, cancellationToken);
        var mine = new LockObject
        {
            Time = time.GetUtcNow(),
            Host = Environment.MachineName,
            Pid = Environment.ProcessId,
            Start = ProcessStartTime.Of(Environment.ProcessId),
            PidNamespace = PidNamespace.Current(),
            Operation = operation,
            Exclusive = exclusive,
        };
        var name = await WriteAsync(repository, mine, cancellationToken);
        RepositoryLock? held = null;
        try
        {
            // Two processes may have checked at the same moment: look again now that ours is visible.
            await CheckConflictsAsync(repository, exclusive, name, _ => { }, time, cancellationToken);
            held = new RepositoryLock(repository, mine, name, time);
            repository.AddLock(held);
            if (repository.IndexLoaded)
            {
                // Lock, then load: what a prune changed before the lock is read now (all of it when it removed an index file).
                await repository.RefreshIndexAsync(cancellationToken);
            }
            return held;
        }
        catch
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
            else
            {
                await repository.Store.DeleteAsync(BlobKind.Lock, name, CancellationToken.None);
            }
            throw;
        }
    }

    /// <summary>
    /// Throws <see cref="RepositoryLockLostException"/> when this lock is no longer held: its file was removed (by
    /// <c>backup unlock</c>, or by another host that took it for stale), or it could not be refreshed for
    /// <see cref="StaleAfter"/>, after which another host may have removed it. A lost lock stays lost. A store that
    /// cannot be asked right now is not a loss by itself: the age rule covers it.
    /// </summary>
    public async Task EnsureHeldAsync(CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            if (_lost is null && _time.GetUtcNow() - _refreshed > StaleAfter)
            {
                _lost = $"it could not be refreshed for {Age(_time.GetUtcNow() - _refreshed)}, so other hosts may have taken it for stale";
            }
            if (_lost is null)
            {
                await StillThereAsync(cancellationToken);
            }
            if (_lost is not null)
            {
                throw new RepositoryLockLostException(
                    $"the repository lock of this {_lock.Operation} was lost ({_lost}); stopped before writing to the repository, run it again");
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Marks the lock lost when its file is gone; other errors of the store leave it as it is.</summary>
    private async Task StillThereAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _repository.Store.ReadAsync(BlobKind.Lock, _name, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            _lost = $"its file {_name[..8]} was removed, by 'backup unlock' or by a process that took it for stale";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Not known to be gone: tried again at the next refresh, and lost once StaleAfter has passed.
        }
    }

    private async Task RefreshAsync()
    {
        var wait = RefreshEvery;
        try
        {
            while (_lost is null)
            {
                await Task.Delay(wait, _time, _stop.Token);
                wait = await TryRefreshAsync(_stop.Token) ? RefreshEvery : RetryEvery;
            }
        }
        catch (OperationCanceledException)
        {
            // Released.
        }
    }

    /// <summary>Rewrites the lock with the current time, unless its file is gone; false when it could not.</summary>
    private async Task<bool> TryRefreshAsync(CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            if (_time.GetUtcNow() - _refreshed > StaleAfter)
            {
                _lost ??= $"it could not be refreshed for {Age(_time.GetUtcNow() - _refreshed)}, so other hosts may have taken it for stale";
            }
            if (_lost is not null)
            {
                return false;
            }
            // A lock that was removed is not written again: whoever removed it may be pruning by now.
            await _repository.Store.ReadAsync(BlobKind.Lock, _name, cancellationToken);
            var now = _time.GetUtcNow();
            var fresh = await WriteAsync(_repository, _lock with { Time = now }, cancellationToken);
            var old = _name;
            (_name, _refreshed) = (fresh, now);
            _leftovers.Add(old);
            await _repository.Store.DeleteAsync(BlobKind.Lock, old, cancellationToken);
            _leftovers.Remove(old);
            return true;
        }
        catch (FileNotFoundException)
        {
            _lost = $"its file {_name[..8]} was removed, by 'backup unlock' or by a process that took it for stale";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return false; // tried again after RetryEvery; EnsureHeldAsync stops the holder once StaleAfter has passed
        }
        finally
        {
            _sync.Release();
        }
    }

    private static string Age(TimeSpan age) => age.TotalHours >= 1 ? $"{(int)age.TotalHours} h {age.Minutes} min" : $"{(int)age.TotalMinutes} min";

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        await _refresher;
        _repository.RemoveLock(this);
        foreach (var name in _leftovers.Append(_name))
        {
            await _repository.Store.DeleteAsync(BlobKind.Lock, name, CancellationToken.None);
        }
        _stop.Dispose();
        _sync.Dispose();
    }
}
