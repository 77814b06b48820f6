using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Storage;

namespace Backup.Core.Repositories.Locks;

public sealed partial class RepositoryLock
{
    /// <summary>
    /// Every lock file in <c>locks/</c>, each marked stale or not by the rule that <see cref="AcquireAsync"/> applies. A
    /// lock that cannot be read (damaged, or not written by this repository's key) is listed with a null
    /// <see cref="StoredLock.Lock"/>, and called stale once its file is older than <see cref="StaleAfter"/>: every
    /// holder writes its lock again within that time, so nobody holds it.
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
                list.Add(new StoredLock(name, null, await IsOldAsync(repository, name, time, cancellationToken)));
            }
        }
        return list;
    }

    /// <summary>
    /// Deletes the lock file <paramref name="name"/> whoever holds it (<c>backup unlock</c>); nothing happens when it is
    /// already gone. A live holder finds out before it next writes an index or snapshot, and stops.
    /// </summary>
    public static Task RemoveAsync(Repository repository, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return repository.Store.DeleteAsync(BlobKind.Lock, name, cancellationToken);
    }

    private static async Task CheckConflictsAsync(
        Repository repository, bool exclusive, string? mine, Action<string> onWarning, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var name in await ListNamesAsync(repository, cancellationToken))
        {
            if (name == mine)
            {
                continue;
            }
            LockObject? other;
            try
            {
                other = await ReadAsync(repository, name, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                // A holder's lock always opens with the repository's key: this one is garbage, and holds nothing.
                var old = await IsOldAsync(repository, name, time, cancellationToken);
                onWarning(old
                    ? $"stale lock {name}: it cannot be read ({e.Message}); ignored, 'backup unlock' removes it"
                    : $"lock file {name} cannot be read ({e.Message}); ignored, 'backup unlock' removes it once it is {StaleAfter.TotalMinutes:0} minutes old");
                continue;
            }
            if (other is null)
            {
                continue;
            }
            if (IsStale(other, time))
            {
                onWarning($"stale lock {name[..8]}: {Describe(other)}");
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

    private static async Task<List<string>> ListNamesAsync(Repository repository, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var (name, _) in repository.Store.ListAsync(BlobKind.Lock, cancellationToken))
        {
            names.Add(name);
        }
        return names;
    }

    /// <summary>One lock, or null when it was released while we looked; <see cref="InvalidDataException"/> when it cannot be read.</summary>
    private static async Task<LockObject?> ReadAsync(Repository repository, string name, CancellationToken cancellationToken)
    {
        byte[] sealedLock;
        try
        {
            sealedLock = await repository.Store.ReadAsync(BlobKind.Lock, name, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null; // released while we looked
        }
        try
        {
            return JsonSerializer.Deserialize(repository.Open(BlobType.Lock, sealedLock), RepositoryJson.Default.LockObject)
                ?? throw new InvalidDataException("it is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"it is not a lock object: {e.Message}", e);
        }
    }

    /// <summary>
    /// A lock of this host and pid namespace is stale when its process is gone (or the pid now belongs to a process
    /// started later), however old or new its time: a live process keeps its lock through a suspend, and the clocks of
    /// hosts differ. Any other lock (another host, or a holder in another pid namespace, under <c>unshare --pid</c> or in
    /// a container with our host name, whose pid means nothing in our /proc) is stale when not refreshed for
    /// <see cref="StaleAfter"/>. A lock without a namespace (written before it was recorded) is taken for one of ours.
    /// </summary>
    private static bool IsStale(LockObject other, TimeProvider time)
    {
        if (other.Host != Environment.MachineName
            || (other.PidNamespace is { } theirs && theirs != PidNamespace.Current()))
        {
            return time.GetUtcNow() - other.Time > StaleAfter;
        }
        var start = ProcessStartTime.Of(other.Pid);
        return start is null || (other.Start is { } recorded && recorded != start);
    }

    /// <summary>True when the file <paramref name="name"/> was last written more than <see cref="StaleAfter"/> ago; false when that is not known.</summary>
    private static async Task<bool> IsOldAsync(Repository repository, string name, TimeProvider time, CancellationToken cancellationToken)
    {
        // A file that is gone holds nothing either.
        return await repository.Store.StatAsync(BlobKind.Lock, name, cancellationToken) is not { } info
            || time.GetUtcNow() - info.Modified > StaleAfter;
    }

    private static string Describe(LockObject l) =>
        $"pid {l.Pid} on {l.Host} ({l.Operation}{(l.Exclusive ? ", exclusive" : "")}) since {l.Time:yyyy-MM-dd HH:mm:ss}Z";

    private static async Task<string> WriteAsync(Repository repository, LockObject lockObject, CancellationToken cancellationToken)
    {
        var sealedLock = repository.Seal(BlobType.Lock, JsonSerializer.SerializeToUtf8Bytes(lockObject, RepositoryJson.Default.LockObject));
        var name = Convert.ToHexStringLower(SHA256.HashData(sealedLock));
        await repository.Store.WriteAsync(BlobKind.Lock, name, sealedLock, cancellationToken);
        return name;
    }
}
