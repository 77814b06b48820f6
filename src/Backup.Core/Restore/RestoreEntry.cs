using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// One entry to restore, whatever the format it comes from. <see cref="Path"/> is normalised and checked by
/// <see cref="RestorePlan"/>: relative, '/'-separated, no empty, '.' or '..' component.
/// </summary>
/// <param name="Path">The checked relative path.</param>
/// <param name="Type">File, directory or symlink.</param>
/// <param name="Permissions">Permission bits (07777).</param>
/// <param name="MtimeNs">Modification time, nanoseconds since the epoch.</param>
/// <param name="Size">Content size of a file.</param>
/// <param name="Source">The format's own handle on the entry (for zips, the central-directory record).</param>
/// <remarks>
/// <see cref="Path"/> may carry raw name bytes that are not UTF-8, escaped as <see cref="EntryName.Decode"/> makes them;
/// <see cref="RestoreTarget"/> writes them back exactly.
/// </remarks>
public sealed record RestoreEntry(string Path, FileType Type, uint Permissions, long MtimeNs, long Size, object Source)
{
    /// <summary>
    /// Files with the same non-null group are one file with several names (hard links): the first restored is written,
    /// the others are linked to it. Null for a file with one name, and for formats that do not record links.
    /// </summary>
    public string? HardLinkGroup { get; init; }

    /// <summary>Extended attributes to set, sorted by name; null or empty for none.</summary>
    public IReadOnlyList<Xattr>? Xattrs { get; init; }

    /// <summary>The numeric owner and group to give the entry when restore runs as root; null when the format has none.</summary>
    public (uint Uid, uint Gid)? Owner { get; init; }
}
