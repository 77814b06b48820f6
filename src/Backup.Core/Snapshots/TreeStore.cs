using System.Text.Json;
using Backup.Core.Encryption;
using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>Trees as blobs of a repository (docs/repository.md, "Trees"): a tree's JSON, stored as a tree blob. Thread-safe as the repository is.</summary>
public static class TreeStore
{
    /// <summary>Stores a tree; returns its id. Throws <see cref="BackupException"/> for a tree above <see cref="BlobLimits.MaxTreeLength"/>.</summary>
    public static async Task<ChunkId> SaveTreeAsync(this Repository repository, TreeObject tree, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(tree);
        var json = JsonSerializer.SerializeToUtf8Bytes(tree, SnapshotJson.Default.TreeObject);
        if (json.Length > BlobLimits.MaxTreeLength)
        {
            throw new BackupException($"a directory of {tree.Nodes.Count} entries lists {json.Length} bytes, more than a tree can hold ({BlobLimits.MaxTreeLength})");
        }
        return (await repository.SaveBlobAsync(BlobType.Tree, json, cancellationToken)).Id;
    }

    /// <summary>
    /// Loads a tree. Throws <see cref="InvalidDataException"/> naming it when it is missing, damaged, not a tree blob, or
    /// not a tree's JSON (<see cref="TreeObject.Check"/>).
    /// </summary>
    public static async Task<TreeObject> LoadTreeAsync(this Repository repository, ChunkId id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        using var json = await repository.LoadPooledBlobAsync(id, cancellationToken, BlobType.Tree);
        TreeObject? tree;
        try
        {
            tree = JsonSerializer.Deserialize(json.Span, SnapshotJson.Default.TreeObject);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"tree {id} is not a valid tree: {e.Message}", e);
        }
        return (tree ?? throw new InvalidDataException($"tree {id} is empty")).Check($"tree {id}");
    }
}
