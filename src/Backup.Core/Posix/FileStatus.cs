namespace Backup.Core.Posix;

/// <summary>
/// What <c>lstat</c> says of one entry, with nanosecond times. <see cref="Mode"/> holds the full <c>st_mode</c>
/// (type and permission bits).
/// </summary>
public readonly record struct FileStatus(
    uint Mode, long Size, long MtimeNs, long CtimeNs, ulong Inode, ulong Device, uint Uid, uint Gid)
{
    private const uint TypeMask = 0xF000;

    /// <summary>The entry's kind, from the type bits of <see cref="Mode"/>.</summary>
    public FileType Type => (Mode & TypeMask) switch
    {
        0x8000 => FileType.File,
        0x4000 => FileType.Directory,
        0xA000 => FileType.Symlink,
        _ => FileType.Other,
    };

    /// <summary>The number of hard links (<c>st_nlink</c>).</summary>
    public uint Links { get; init; }

    /// <summary>The permission bits (including setuid, setgid and sticky): <c>Mode &amp; 07777</c>.</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>True when the content may have changed between two reads of the same file: size, mtime, ctime or identity differ.</summary>
    public bool DiffersFrom(FileStatus other) =>
        Size != other.Size || MtimeNs != other.MtimeNs || CtimeNs != other.CtimeNs
        || Inode != other.Inode || Device != other.Device;
}
