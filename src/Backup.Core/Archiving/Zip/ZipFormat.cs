namespace Backup.Core.Archiving.Zip;

/// <summary>Numbers of the zip format (PKWARE APPNOTE 6.3) that this code writes and reads. All are permanent.</summary>
internal static class ZipFormat
{
    public const uint LocalHeaderSignature = 0x04034b50;
    public const uint CentralHeaderSignature = 0x02014b50;
    public const uint EndOfCentralDirectorySignature = 0x06054b50;
    public const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    public const uint Zip64LocatorSignature = 0x07064b50;

    public const int LocalHeaderSize = 30;
    public const int CentralHeaderSize = 46;
    public const int EndOfCentralDirectorySize = 22;
    public const int Zip64EndOfCentralDirectorySize = 56;
    public const int Zip64LocatorSize = 20;

    public const ushort MethodStored = 0;
    public const ushort MethodDeflate = 8;

    /// <summary>General-purpose flag bit 11: the name is UTF-8.</summary>
    public const ushort FlagUtf8 = 0x0800;

    /// <summary>"Version made by": host 3 (Unix) in the high byte, spec 6.3 in the low byte, so readers honour the Unix mode.</summary>
    public const ushort VersionMadeBy = (3 << 8) | 63;
    public const ushort VersionNeededDefault = 20;
    public const ushort VersionNeededZip64 = 45;

    public const ushort ExtraZip64 = 0x0001;

    /// <summary>Info-ZIP "UT" extended timestamp: mtime in whole seconds, read by unzip.</summary>
    public const ushort ExtraUnixTime = 0x5455;

    /// <summary>This tool's own field, "bk": version byte 1, then mtime in nanoseconds (int64). Others ignore it.</summary>
    public const ushort ExtraBackupTime = 0x6b62;

    public const uint Max32 = 0xFFFFFFFF;
    public const ushort Max16 = 0xFFFF;

    /// <summary>Unix <c>S_IFDIR</c> and <c>S_IFLNK</c>, kept in the high 16 bits of the external attributes.</summary>
    public const uint UnixDirectory = 0x4000;
    public const uint UnixSymlink = 0xA000;
    public const uint UnixFile = 0x8000;
    public const uint UnixTypeMask = 0xF000;

    /// <summary>MS-DOS directory attribute, set on directory entries for readers that ignore the Unix mode.</summary>
    public const uint DosDirectory = 0x10;
}
