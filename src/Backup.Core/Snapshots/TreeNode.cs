using System.Text.Json.Serialization;
using Backup.Core.Posix;

namespace Backup.Core.Snapshots;

/// <summary>
/// One entry of a directory in a snapshot (docs/repository.md, "Trees and snapshots"). The fields added after the first
/// release (<c>user</c>, <c>group</c>, <c>links</c>, <c>xattrs</c>) are left out of the JSON when empty, so that a node
/// without them has the same bytes as before and trees keep deduplicating across versions.
/// </summary>
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

    /// <summary>The owner's user name when the system knows it; informational (restore goes by <see cref="Uid"/>).</summary>
    [JsonPropertyName("user"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? User { get; init; }

    /// <summary>The group's name when the system knows it; informational (restore goes by <see cref="Gid"/>).</summary>
    [JsonPropertyName("group"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Group { get; init; }

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

    /// <summary>
    /// <c>st_nlink</c> of an entry that is not a directory, when above 1 (0, left out, otherwise). Nodes of one snapshot
    /// with links, the same <see cref="Device"/>, <see cref="Inode"/> and <see cref="CtimeNs"/> are one file, restored as
    /// hard links.
    /// </summary>
    [JsonPropertyName("links"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public uint Links { get; init; }

    /// <summary>A symlink's raw target.</summary>
    [JsonPropertyName("target")] public byte[]? Target { get; init; }

    /// <summary>
    /// Extended attributes, sorted by name bytes, each <c>[base64 name, base64 value]</c>; null (left out) when there are
    /// none. Made by <see cref="EncodeXattrs"/>, read through <see cref="DecodeXattrs"/>.
    /// </summary>
    [JsonPropertyName("xattrs"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<byte[][]>? Xattrs { get; init; }

    /// <summary>A file's chunk ids, in order (hex).</summary>
    [JsonPropertyName("content")] public List<string>? Content { get; init; }

    /// <summary>A directory's tree id (hex).</summary>
    [JsonPropertyName("subtree")] public string? Subtree { get; init; }

    // The JSON is written by System.Text.Json's generated fast path, which writes a null byte[] (a file's Target) as ""
    // and not null: the first trees were written that way, so nothing here may turn that path off (a custom converter
    // would), or every existing tree would change its bytes.

    /// <summary>The <see cref="Xattrs"/> field for <paramref name="xattrs"/>: null when there are none.</summary>
    public static List<byte[][]>? EncodeXattrs(IReadOnlyList<Xattr> xattrs)
    {
        ArgumentNullException.ThrowIfNull(xattrs);
        return xattrs.Count == 0 ? null : [.. xattrs.Select(x => new[] { x.Name, x.Value })];
    }

    /// <summary>The extended attributes of <see cref="Xattrs"/>. Throws <see cref="InvalidDataException"/> for an entry that is not a pair.</summary>
    public IReadOnlyList<Xattr> DecodeXattrs() => Xattrs is null
        ? []
        : [.. Xattrs.Select(pair => pair is [{ } name, { } value]
            ? new Xattr(name, value)
            : throw new InvalidDataException("tree node has an extended attribute that is not a [name, value] pair"))];
}
