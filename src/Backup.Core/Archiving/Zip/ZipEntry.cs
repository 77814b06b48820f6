using Backup.Core.Posix;

namespace Backup.Core.Archiving.Zip;

/// <summary>One central-directory record, as read by <see cref="ZipReader"/>.</summary>
public sealed record ZipEntry
{
    /// <summary>The raw name bytes.</summary>
    public required byte[] NameBytes { get; init; }

    /// <summary>
    /// The name decoded as UTF-8; bytes that are not UTF-8 are kept as <see cref="EntryName.Decode"/> escapes them, so
    /// <see cref="EntryName.Encode"/> gives back <see cref="NameBytes"/> (never a replacement character).
    /// </summary>
    public required string Name { get; init; }

    /// <summary>0 stored, 8 deflate; others are refused when read.</summary>
    public ushort Method { get; init; }

    /// <summary>General-purpose flags; bit 0 (encrypted) is refused when read.</summary>
    public ushort Flags { get; init; }

    /// <summary>CRC-32 of the content.</summary>
    public uint Crc32 { get; init; }

    /// <summary>Bytes stored.</summary>
    public long CompressedSize { get; init; }

    /// <summary>Bytes of content.</summary>
    public long Size { get; init; }

    /// <summary>Where the local header starts.</summary>
    public long LocalHeaderOffset { get; init; }

    /// <summary>The entry's type: from the Unix mode when the archive has one, else from a trailing '/'.</summary>
    public FileType Type { get; init; }

    /// <summary>Permission bits (07777).</summary>
    public uint Permissions { get; init; }

    /// <summary>Modification time in nanoseconds since the epoch, from the most precise field present.</summary>
    public long MtimeNs { get; init; }
}
