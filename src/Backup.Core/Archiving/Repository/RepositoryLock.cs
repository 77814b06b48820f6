using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Encryption;
using Backup.Core.Storage;

namespace Backup.Core.Archiving.Repository;

/// <summary>
/// A lock object in <c>locks/</c> (docs/repository.md, "Locks"). Backups take shared locks and run side by side;
/// prune takes an exclusive one. A lock of this host whose process is dead, or one not refreshed for
/// <see cref="StaleAfter"/>, is stale: it is reported and ignored (and removed when it is ours). Dispose to release.
/// </summary>
public sealed class RepositoryLock : IAsyncDisposable
{
    /// <summary>A lock older than this is stale: a live holder refreshes every <see cref="RefreshEvery"/>.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);

    /// <summary>How often a holder rewrites its lock.</summary>
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(5);

    private readonly Repository _repository;
    private readonly LockObject _lock;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresher;
    private string _name;

    private RepositoryLock(Repository repository, LockObject lockObject, string name, TimeProvider time)
    {
        _repository = repository;
        _lock = lockObject;
        _name = name;
        _time = time;
        _refresher = RefreshAsync();
    }

    /// <summary>
    /// Takes a lock. Throws <see cref="RepositoryLockedException"/> naming the holder when a conflicting lock is held.
    /// <paramref name="onStale"/> hears of every stale lock met.
    /// </summary>
    public static async Task<RepositoryLock> AcquireAsync(
        Repository repository, string operation, bool exclusive, Action<string> onStale, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(onStale);
        await CheckConflictsAsync(repository, exclusive, null, onStale, time, cancellationToken);
        var mine = new LockObject
        {
            Time = time.GetUtcNow(),
            Host = Environment.MachineName,
            Pid = Environment.ProcessId,
            Operation = operation,
            Exclusive = exclusive,
        };
        var name = await WriteAsync(repository, mine, cancellationToken);
        try
        {
            // Two processes may have checked at the same moment: look again now that ours is visible.
            await CheckConflictsAsync(repository, exclusive, name, _ => { }, time, cancellationToken);
        }
        catch
        {
            await repository.Store.DeleteAsync(BlobKind.Lock, name, CancellationToken.None);
            throw;
        }
        return new RepositoryLock(repository, mine, name, time);
    }

    /// <summary>Describes every lock in the repository, stale ones marked.</summary>
    public static async Task<IReadOnlyList<string>> DescribeAllAsync(Repository repository, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var list = new List<string>();
        await foreach (var (name, other) in ReadAllAsync(repository, cancellationToken))
        {
            list.Add(Describe(other) + (IsStale(other, time) ? " (stale)" : ""));
        }
        return list;
    }

    /// <summary>
    /// Every lock file in <c>locks/</c>, each marked stale or not by the rule that <see cref="AcquireAsync"/> applies. A
    /// lock that cannot be read (damaged, or sealed under another key) is listed with a null <see cref="StoredLock.Lock"/>
    /// and not called stale: nothing says its holder is gone.
    /// </summary>
    public static async Task<IReadOnlyList<StoredLock>> ListAsync(Repository repository, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(time);
        var list = new List<StoredLock>();
        foreach (var name in await ListNamesAsync(repository, cancellationToken))
        {
            try
            {
                if (await ReadAsync(repository, name, cancellationToken) is { } found)
                {
                    list.Add(new StoredLock(name, found, IsStale(found, time)));
                }
            }
            catch (InvalidDataException)
            {
                list.Add(new StoredLock(name, null, false));
            }
        }
        return list;
    }

    /// <summary>
    /// Deletes the lock file <paramref name="name"/> whoever holds it (<c>backup unlock</c>); nothing happens when it is
    /// already gone. A live holder is not told: only remove a lock that is stale or known to be abandoned.
    /// </summary>
    public static Task RemoveAsync(Repository repository, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return repository.Store.DeleteAsync(BlobKind.Lock, name, cancellationToken);
    }

    private static async Task CheckConflictsAsync(
        Repository repository, bool exclusive, string? mine, Action<string> onStale, TimeProvider time, CancellationToken cancellationToken)
    {
        await foreach (var (name, other) in ReadAllAsync(repository, cancellationToken))
        {
            if (name == mine)
            {
                continue;
            }
            if (IsStale(other, time))
            {
                onStale($"stale lock {name[..8]}: {Describe(other)}");
                if (other.Host == Environment.MachineName)
                {
                    await repository.Store.DeleteAsync(BlobKind.Lock, name, cancellationToken);
                }
                continue;
            }
            if (exclusive || other.Exclusive)
            {
                throw new RepositoryLockedException($"repository is locked by {Describe(other)}; try again when it is done");
            }
        }
    }

    private static async IAsyncEnumerable<(string Name, LockObject Lock)> ReadAllAsync(
        Repository repository, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var name in await ListNamesAsync(repository, cancellationToken))
        {
            if (await ReadAsync(repository, name, cancellationToken) is { } other)
            {
                yield return (name, other);
            }
        }
    }

    private static async Task<List<string>> ListNamesAsync(Repository repository, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var (name, _) in repository.Store.ListAsync(BlobKind.Lock, cancellationToken))
        {
            names.Add(name);
        }
        return names;
    }

    /// <summary>One lock, or null when it was released while we looked; <see cref="InvalidDataException"/> when damaged.</summary>
    private static async Task<LockObject?> ReadAsync(Repository repository, string name, CancellationToken cancellationToken)
    {
        try
        {
            var sealedLock = await repository.Store.ReadAsync(BlobKind.Lock, name, cancellationToken);
            return JsonSerializer.Deserialize(repository.Open(BlobType.Lock, sealedLock), RepositoryJson.Default.LockObject);
        }
        catch (FileNotFoundException)
        {
            return null; // released while we looked
        }
    }

    private static bool IsStale(LockObject other, TimeProvider time) =>
        time.GetUtcNow() - other.Time > StaleAfter
        || (other.Host == Environment.MachineName && other.Pid != Environment.ProcessId && !Directory.Exists($"/proc/{other.Pid}"));

    private static string Describe(LockObject l) =>
        $"pid {l.Pid} on {l.Host} ({l.Operation}{(l.Exclusive ? ", exclusive" : "")}) since {l.Time:yyyy-MM-dd HH:mm:ss}Z";

    private static async Task<string> WriteAsync(Repository repository, LockObject lockObject, CancellationToken cancellationToken)
    {
        var sealedLock = repository.Seal(BlobType.Lock, JsonSerializer.SerializeToUtf8Bytes(lockObject, RepositoryJson.Default.LockObject));
        var name = Convert.ToHexStringLower(SHA256.HashData(sealedLock));
        await repository.Store.WriteAsync(BlobKind.Lock, name, sealedLock, cancellationToken);
        return name;
    }

    private async Task RefreshAsync()
    {
        using var timer = new PeriodicTimer(RefreshEvery, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var fresh = await WriteAsync(_repository, _lock with { Time = _time.GetUtcNow() }, _stop.Token);
                await _repository.Store.DeleteAsync(BlobKind.Lock, _name, _stop.Token);
                _name = fresh;
            }
        }
        catch (OperationCanceledException)
        {
            // Released.
        }
        catch (IOException)
        {
            // A refresh that fails leaves the older lock in place; it turns stale only after StaleAfter.
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresher;
        _stop.Dispose();
        await _repository.Store.DeleteAsync(BlobKind.Lock, _name, CancellationToken.None);
    }
}
