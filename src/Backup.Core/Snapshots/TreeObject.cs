using System.Text.Json.Serialization;
using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>A directory listing stored as a tree blob: nodes sorted by raw name bytes.</summary>
public sealed record TreeObject
{
    /// <summary>Tree format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;

    /// <summary>The directory's entries.</summary>
    [JsonPropertyName("nodes")] public List<TreeNode> Nodes { get; init; } = [];

    /// <summary>
    /// Returns this tree once its JSON is known to be a tree that readers can walk: version 1, and every node with a
    /// name, a type, and ids (<c>content</c>, <c>subtree</c>) of 64 hex digits. Throws <see cref="InvalidDataException"/>
    /// naming <paramref name="what"/> otherwise.
    /// </summary>
    public TreeObject Check(string what)
    {
        if (Version != 1 || Nodes is null)
        {
            throw new InvalidDataException($"{what} is not a tree of version 1");
        }
        foreach (var node in Nodes)
        {
            if (node?.Name is null || node.Type is null)
            {
                throw new InvalidDataException($"{what} has a node without a name or a type");
            }
            var shown = $"{what}, entry {Posix.EntryName.Escape(node.Name)}";
            foreach (var chunk in node.Content ?? [])
            {
                ChunkId.ParseStored(chunk, shown);
            }
            if (node.Subtree is not null)
            {
                ChunkId.ParseStored(node.Subtree, shown);
            }
        }
        return this;
    }
}
