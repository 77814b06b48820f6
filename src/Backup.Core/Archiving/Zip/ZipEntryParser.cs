using System.Buffers.Binary;
using Backup.Core.Posix;

namespace Backup.Core.Archiving.Zip;

/// <summary>Decodes one central-directory record and its extra fields (Zip64, Info-ZIP "UT", this tool's "bk").</summary>
internal static class ZipEntryParser
{
    public static ZipEntry Parse(ReadOnlySpan<byte> header, ReadOnlySpan<byte> variable, string archivePath)
    {
        var madeBy = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        var method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
        var dosTime = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
        var dosDate = BinaryPrimitives.ReadUInt16LittleEndian(header[14..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        long size = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
        var external = BinaryPrimitives.ReadUInt32LittleEndian(header[38..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
        var nameBytes = variable[..nameLength].ToArray();
        var name = DecodeName(nameBytes);
        long? mtimeNs = null;
        long? unixSeconds = null;
        var extra = variable.Slice(nameLength, extraLength);
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4)
            {
                throw new InvalidDataException($"zip archive is damaged (extra field of entry '{EntryName.Escape(name)}'): {archivePath}");
            }
            var data = extra.Slice(4, length);
            switch (id)
            {
                case ZipFormat.ExtraZip64:
                    var at = 0;
                    if (size == ZipFormat.Max32 && data.Length >= at + 8) { size = BinaryPrimitives.ReadInt64LittleEndian(data[at..]); at += 8; }
                    if (compressed == ZipFormat.Max32 && data.Length >= at + 8) { compressed = BinaryPrimitives.ReadInt64LittleEndian(data[at..]); at += 8; }
                    if (offset == ZipFormat.Max32 && data.Length >= at + 8) { offset = BinaryPrimitives.ReadInt64LittleEndian(data[at..]); }
                    if (size < 0 || compressed < 0 || offset < 0)
                    {
                        // 64-bit fields read as signed: above 2^63 they are no length a file can have.
                        throw new InvalidDataException($"zip archive is damaged (Zip64 field above 2^63 in entry '{EntryName.Escape(name)}'): {archivePath}");
                    }
                    break;
                case ZipFormat.ExtraUnixTime when data.Length >= 5 && (data[0] & 1) != 0:
                    unixSeconds = BinaryPrimitives.ReadInt32LittleEndian(data[1..]);
                    break;
                case ZipFormat.ExtraBackupTime when data.Length >= 9 && data[0] == 1:
                    mtimeNs = BinaryPrimitives.ReadInt64LittleEndian(data[1..]);
                    break;
            }
            extra = extra[(4 + length)..];
        }
        var unixMode = (madeBy >> 8) == 3 ? external >> 16 : 0;
        var type = (unixMode & ZipFormat.UnixTypeMask) switch
        {
            ZipFormat.UnixDirectory => FileType.Directory,
            ZipFormat.UnixSymlink => FileType.Symlink,
            ZipFormat.UnixFile => FileType.File,
            _ => name.EndsWith('/') || (external & ZipFormat.DosDirectory) != 0 ? FileType.Directory : FileType.File,
        };
        var permissions = unixMode & 0xFFF;
        if (unixMode == 0)
        {
            // No Unix mode at all (a zip from a non-Unix tool): the usual defaults. Mode 0000 itself is kept.
            permissions = type == FileType.Directory ? 0x1EDu /* 0755 */ : 0x1A4u /* 0644 */;
        }
        return new ZipEntry
        {
            NameBytes = nameBytes,
            Name = name,
            Method = method,
            Flags = flags,
            Crc32 = crc,
            CompressedSize = compressed,
            Size = size,
            LocalHeaderOffset = offset,
            Type = type,
            Permissions = permissions,
            MtimeNs = mtimeNs ?? (unixSeconds * 1_000_000_000L) ?? FromDos(dosDate, dosTime),
        };
    }

    /// <summary>
    /// The name as UTF-8, whatever the UTF-8 flag (bit 11) says: a name that is not valid UTF-8 (an old archive in a
    /// legacy code page, or Info-ZIP storing a file's raw name bytes) keeps its exact bytes, each byte that is not
    /// UTF-8 carried as <see cref="EntryName.Decode"/> escapes it, so restore creates the name the archive holds.
    /// </summary>
    private static string DecodeName(byte[] nameBytes) => EntryName.Decode(nameBytes);

    private static long FromDos(ushort date, ushort time)
    {
        try
        {
            var local = new DateTime(1980 + (date >> 9), Math.Max(1, (date >> 5) & 0xF), Math.Max(1, date & 0x1F),
                time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2, DateTimeKind.Local);
            return new DateTimeOffset(local).ToUnixTimeMilliseconds() * 1_000_000L;
        }
        catch (ArgumentOutOfRangeException)
        {
            return 0;
        }
    }
}
