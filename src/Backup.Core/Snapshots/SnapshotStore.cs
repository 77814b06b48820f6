using System.Text.Json;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Storage;

namespace Backup.Core.Snapshots;

/// <summary>
/// Snapshot objects in a repository's <c>snapshots/</c> (docs/repository.md, "Snapshots"), through the repository's
/// object API: sealed JSON files named by the SHA-256 of their stored bytes. Thread-safe as the repository is.
/// </summary>
public static class SnapshotStore
{
    /// <summary>
    /// Stores a snapshot object; returns its id (the SHA-256 of the stored file). Throws
    /// <see cref="Repositories.Locks.RepositoryLockLostException"/>, writing nothing, when a lock taken on the repository was lost.
    /// </summary>
    public static Task<string> SaveSnapshotAsync(this Repository repository, SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        return repository.SaveObjectAsync(BlobKind.Snapshot, BlobType.Snapshot, JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.SnapshotObject), cancellationToken);
    }

    /// <summary>The ids of every snapshot file, without reading them.</summary>
    public static Task<IReadOnlyList<string>> ListSnapshotIdsAsync(this Repository repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return repository.ListObjectNamesAsync(BlobKind.Snapshot, cancellationToken);
    }

    /// <summary>Reads one snapshot; throws <see cref="InvalidDataException"/> naming it when damaged, swapped or forged.</summary>
    public static Task<SnapshotObject> LoadSnapshotAsync(this Repository repository, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(id);
        return LoadByNameAsync(repository, id, cancellationToken);
    }

    /// <summary>Every snapshot with its id, oldest first. A damaged or swapped snapshot file throws, naming it.</summary>
    public static Task<IReadOnlyList<(string Id, SnapshotObject Snapshot)>> ListSnapshotsAsync(this Repository repository, CancellationToken cancellationToken) =>
        ListSnapshotsAsync(repository, null, cancellationToken);

    /// <summary>
    /// Every snapshot with its id, oldest first. A snapshot file that cannot be read (damaged, swapped, or not a snapshot
    /// of this repository) is left out and told to <paramref name="onUnreadable"/> with a message naming it, so that one
    /// bad file does not stop every backup; with a null <paramref name="onUnreadable"/> it throws instead.
    /// </summary>
    public static async Task<IReadOnlyList<(string Id, SnapshotObject Snapshot)>> ListSnapshotsAsync(
        this Repository repository, Action<string>? onUnreadable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var list = new List<(string, SnapshotObject)>();
        foreach (var name in await repository.ListObjectNamesAsync(BlobKind.Snapshot, cancellationToken))
        {
            try
            {
                list.Add((name, await LoadByNameAsync(repository, name, cancellationToken)));
            }
            catch (InvalidDataException e) when (onUnreadable is not null)
            {
                onUnreadable($"{e.Message}; left out ('backup check' reports it)");
            }
            catch (FileNotFoundException)
            {
                // Forgotten while we listed.
            }
        }
        return [.. list.OrderBy(s => s.Item2.Time).ThenBy(s => s.Item1, StringComparer.Ordinal)];
    }

    /// <summary>Finds a snapshot by its id or a unique prefix of at least 4 hex digits.</summary>
    public static async Task<(string Id, SnapshotObject Snapshot)> FindSnapshotAsync(this Repository repository, string idOrPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        var matches = (await repository.ListObjectNamesAsync(BlobKind.Snapshot, cancellationToken))
            .Where(name => idOrPrefix.Length >= 4 && name.StartsWith(idOrPrefix, StringComparison.OrdinalIgnoreCase))
            .ToList();
        return matches.Count switch
        {
            1 => (matches[0], await LoadByNameAsync(repository, matches[0], cancellationToken)),
            0 => throw new BackupException($"no snapshot {idOrPrefix} in the repository"),
            _ => throw new BackupException($"snapshot id {idOrPrefix} is ambiguous: give more digits"),
        };
    }

    /// <summary>Deletes a snapshot object (its data stays until prune); first checks, as a write does, that no lock taken on the repository was lost.</summary>
    public static Task DeleteSnapshotAsync(this Repository repository, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return repository.DeleteObjectAsync(BlobKind.Snapshot, id, cancellationToken);
    }

    private static async Task<SnapshotObject> LoadByNameAsync(Repository repository, string name, CancellationToken cancellationToken)
    {
        var json = await repository.LoadObjectAsync(BlobKind.Snapshot, BlobType.Snapshot, name, cancellationToken);
        SnapshotObject? snapshot;
        try
        {
            snapshot = JsonSerializer.Deserialize(json, SnapshotJson.Default.SnapshotObject);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"snapshot {name} is not a valid snapshot: {e.Message}", e);
        }
        if (snapshot is null)
        {
            throw new InvalidDataException($"snapshot {name} is empty");
        }
        ChunkId.ParseStored(snapshot.Tree, $"snapshot {name}");
        return snapshot;
    }
}
