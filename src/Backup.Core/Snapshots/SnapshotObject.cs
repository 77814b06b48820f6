using System.Text.Json.Serialization;

namespace Backup.Core.Snapshots;

/// <summary>A snapshot as stored in <c>snapshots/</c> (sealed; the file name is the SHA-256 of the sealed bytes).</summary>
public sealed record SnapshotObject
{
    /// <summary>Snapshot format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;

    /// <summary>When the backup started.</summary>
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }

    /// <summary>The machine.</summary>
    [JsonPropertyName("host")] public required string Host { get; init; }

    /// <summary>The user who ran it.</summary>
    [JsonPropertyName("username")] public string? Username { get; init; }

    /// <summary>The absolute source path.</summary>
    [JsonPropertyName("path")] public required string SourcePath { get; init; }

    /// <summary>Free-form tags.</summary>
    [JsonPropertyName("tags")] public List<string> Tags { get; init; } = [];

    /// <summary>The snapshot this one was made against, if any.</summary>
    [JsonPropertyName("parent")] public string? Parent { get; init; }

    /// <summary>Root tree id (hex).</summary>
    [JsonPropertyName("tree")] public required string Tree { get; init; }

    /// <summary>The dirhash of the source when it was checked.</summary>
    [JsonPropertyName("hash")] public string? Hash { get; init; }

    /// <summary>Regular files in the snapshot.</summary>
    [JsonPropertyName("files")] public long Files { get; init; }

    /// <summary>Directories in the snapshot.</summary>
    [JsonPropertyName("dirs")] public long Directories { get; init; }

    /// <summary>Bytes of file content in the snapshot.</summary>
    [JsonPropertyName("bytes")] public long Bytes { get; init; }

    /// <summary>Chunks this snapshot added to the repository.</summary>
    [JsonPropertyName("new_chunks")] public long NewChunks { get; init; }

    /// <summary>Bytes this snapshot added to the repository (sealed, after compression).</summary>
    [JsonPropertyName("new_bytes")] public long NewBytes { get; init; }

    /// <summary>False when some entries could not be read.</summary>
    [JsonPropertyName("complete")] public bool Complete { get; init; } = true;

    /// <summary>
    /// The blobs (tree type) of this snapshot's subtree index (docs/repository.md), which lets the next backup reuse
    /// unchanged directories unread. Absent in snapshots of older builds; a snapshot restores without it.
    /// </summary>
    [JsonPropertyName("subtree_index")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? SubtreeIndex { get; init; }
}
