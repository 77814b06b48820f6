using System.Text.Json.Serialization;

namespace Backup.Core.Archiving.Repository;

/// <summary>One entry of a directory in a snapshot (docs/repository.md, "Trees and snapshots").</summary>
public sealed record TreeNode
{
    /// <summary>The raw name bytes (base64 in JSON): names that are not UTF-8 are kept exactly.</summary>
    [JsonPropertyName("name")] public required byte[] Name { get; init; }

    /// <summary><c>file</c>, <c>dir</c>, <c>symlink</c> or <c>other</c>.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }

    /// <summary>Full <c>st_mode</c>.</summary>
    [JsonPropertyName("mode")] public uint Mode { get; init; }

    /// <summary>Owner.</summary>
    [JsonPropertyName("uid")] public uint Uid { get; init; }

    /// <summary>Group.</summary>
    [JsonPropertyName("gid")] public uint Gid { get; init; }

    /// <summary>Modification time, ns since the epoch.</summary>
    [JsonPropertyName("mtime")] public long MtimeNs { get; init; }

    /// <summary>Change time, ns since the epoch (change detection only).</summary>
    [JsonPropertyName("ctime")] public long CtimeNs { get; init; }

    /// <summary>Content size of a file.</summary>
    [JsonPropertyName("size")] public long Size { get; init; }

    /// <summary>Inode number (change detection only).</summary>
    [JsonPropertyName("inode")] public ulong Inode { get; init; }

    /// <summary>Device (change detection only).</summary>
    [JsonPropertyName("device")] public ulong Device { get; init; }

    /// <summary>A symlink's raw target.</summary>
    [JsonPropertyName("target")] public byte[]? Target { get; init; }

    /// <summary>A file's chunk ids, in order (hex).</summary>
    [JsonPropertyName("content")] public List<string>? Content { get; init; }

    /// <summary>A directory's tree id (hex).</summary>
    [JsonPropertyName("subtree")] public string? Subtree { get; init; }
}
