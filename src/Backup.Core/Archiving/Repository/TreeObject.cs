using System.Text.Json.Serialization;

namespace Backup.Core.Archiving.Repository;

/// <summary>A directory listing stored as a tree blob: nodes sorted by raw name bytes.</summary>
public sealed record TreeObject
{
    /// <summary>Tree format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;

    /// <summary>The directory's entries.</summary>
    [JsonPropertyName("nodes")] public List<TreeNode> Nodes { get; init; } = [];
}
