using System.Text.Json;
using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Backup.Core.Storage;

namespace Backup.Core.Repositories;

public sealed partial class Repository
{
    /// <summary>
    /// Stores a snapshot object; returns its id (the SHA-256 of the stored file). Throws
    /// <see cref="RepositoryLockLostException"/>, writing nothing, when a lock taken on the repository was lost.
    /// </summary>
    public async Task<string> SaveSnapshotAsync(SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        await EnsureLocksHeldAsync(cancellationToken);
        return await WriteObjectAsync(BlobKind.Snapshot, BlobType.Snapshot, JsonSerializer.SerializeToUtf8Bytes(snapshot, RepositoryJson.Default.SnapshotObject), cancellationToken);
    }

    /// <summary>The ids of every snapshot file, without reading them.</summary>
    public async Task<IReadOnlyList<string>> ListSnapshotIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Snapshot, cancellationToken))
        {
            ids.Add(name);
        }
        return ids;
    }

    /// <summary>Reads one snapshot; throws <see cref="InvalidDataException"/> naming it when damaged, swapped or forged.</summary>
    public Task<SnapshotObject> LoadSnapshotAsync(string id, CancellationToken cancellationToken) => LoadSnapshotByNameAsync(id, cancellationToken);

    /// <summary>Every snapshot with its id, oldest first. A damaged or swapped snapshot file throws, naming it.</summary>
    public Task<IReadOnlyList<(string Id, SnapshotObject Snapshot)>> ListSnapshotsAsync(CancellationToken cancellationToken) =>
        ListSnapshotsAsync(null, cancellationToken);

    /// <summary>
    /// Every snapshot with its id, oldest first. A snapshot file that cannot be read (damaged, swapped, or not a snapshot
    /// of this repository) is left out and told to <paramref name="onUnreadable"/> with a message naming it, so that one
    /// bad file does not stop every backup; with a null <paramref name="onUnreadable"/> it throws instead.
    /// </summary>
    public async Task<IReadOnlyList<(string Id, SnapshotObject Snapshot)>> ListSnapshotsAsync(Action<string>? onUnreadable, CancellationToken cancellationToken)
    {
        var list = new List<(string, SnapshotObject)>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Snapshot, cancellationToken))
        {
            try
            {
                list.Add((name, await LoadSnapshotByNameAsync(name, cancellationToken)));
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
    public async Task<(string Id, SnapshotObject Snapshot)> FindSnapshotAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        var matches = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Snapshot, cancellationToken))
        {
            if (idOrPrefix.Length >= 4 && name.StartsWith(idOrPrefix, StringComparison.OrdinalIgnoreCase))
            {
                matches.Add(name);
            }
        }
        return matches.Count switch
        {
            1 => (matches[0], await LoadSnapshotByNameAsync(matches[0], cancellationToken)),
            0 => throw new BackupException($"no snapshot {idOrPrefix} in the repository"),
            _ => throw new BackupException($"snapshot id {idOrPrefix} is ambiguous: give more digits"),
        };
    }

    /// <summary>Deletes a snapshot object (its data stays until prune); first checks, as a write does, that no lock taken on the repository was lost.</summary>
    public async Task DeleteSnapshotAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureLocksHeldAsync(cancellationToken);
        await Store.DeleteAsync(BlobKind.Snapshot, id, cancellationToken);
    }

    private async Task<SnapshotObject> LoadSnapshotByNameAsync(string name, CancellationToken cancellationToken)
    {
        var json = await ReadObjectAsync(BlobKind.Snapshot, BlobType.Snapshot, name, cancellationToken);
        SnapshotObject? snapshot;
        try
        {
            snapshot = JsonSerializer.Deserialize(json, RepositoryJson.Default.SnapshotObject);
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
