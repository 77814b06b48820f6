using System.Buffers.Binary;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Repositories;

/// <summary>
/// The binary index file (docs/repository.md, "Index"): <c>2 || pack count (uint32 LE) || per pack: pack id (32 bytes)
/// || blob count (uint32 LE) || that many 46-byte records as in a pack header</c>. It costs 46 bytes a blob (the JSON
/// of earlier builds about 150, compressed about 50: chunk ids do not compress), is written with one allocation of its
/// exact size and read straight into the map.
/// </summary>
public sealed partial class RepositoryIndex
{
    /// <summary>The first byte of a binary index file's plaintext (permanent).</summary>
    public const byte BinaryFormat = 2;

    private const int PackIdLength = 32;

    /// <summary>The index as one binary index file (before sealing).</summary>
    public byte[] ToBinary() => ToBinary(ByPack());

    /// <summary>One binary index file listing <paramref name="packs"/>, in that order; pack names must be 64 hex digits.</summary>
    public static byte[] ToBinary(IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        ArgumentNullException.ThrowIfNull(packs);
        var list = packs.Where(p => p.Entries.Count > 0).ToList();
        var length = 1 + 4 + list.Sum(p => PackIdLength + 4 + ((long)p.Entries.Count * PackEntry.EncodedSize));
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"an index file of {length} bytes is more than an array holds");
        }
        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        bytes[0] = BinaryFormat;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(1), (uint)list.Count);
        var at = 5;
        foreach (var (pack, entries) in list)
        {
            if (Convert.FromHexString(pack, bytes.AsSpan(at, PackIdLength), out _, out var written) != System.Buffers.OperationStatus.Done || written != PackIdLength)
            {
                throw new ArgumentException($"pack name {pack} is not 64 hex digits", nameof(packs));
            }
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + PackIdLength), (uint)entries.Count);
            at += PackIdLength + 4;
            foreach (var entry in entries)
            {
                PackWriter.Encode(entry, bytes.AsSpan(at, PackEntry.EncodedSize));
                at += PackEntry.EncodedSize;
            }
        }
        return bytes;
    }

    /// <summary>
    /// Adds what one binary index file lists. Throws <see cref="InvalidDataException"/>, having added nothing, when it is
    /// not one: every count is checked against the bytes that remain before anything is read or allocated.
    /// </summary>
    public void AddBinary(ReadOnlySpan<byte> file)
    {
        var packs = CheckBinary(file);
        var at = 5;
        for (var p = 0; p < packs; p++)
        {
            var number = PackNumber(Convert.ToHexStringLower(file.Slice(at, PackIdLength)));
            var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(at + PackIdLength)..]);
            at += PackIdLength + 4;
            for (var i = 0; i < count; i++, at += PackEntry.EncodedSize)
            {
                Add(number, PackWriter.Decode(file.Slice(at, PackEntry.EncodedSize)));
            }
        }
    }

    /// <summary>Checks the framing of a binary index file and returns its pack count.</summary>
    private static int CheckBinary(ReadOnlySpan<byte> file)
    {
        if (file.Length < 5 || file[0] != BinaryFormat)
        {
            throw new InvalidDataException("index file is not a binary index");
        }
        var packs = BinaryPrimitives.ReadUInt32LittleEndian(file[1..]);
        long at = 5;
        for (long p = 0; p < packs; p++)
        {
            if (file.Length - at < PackIdLength + 4)
            {
                throw new InvalidDataException($"index file ends inside pack {p + 1} of {packs}");
            }
            var count = BinaryPrimitives.ReadUInt32LittleEndian(file[(int)(at + PackIdLength)..]);
            at += PackIdLength + 4;
            if (count == 0 || (file.Length - at) / PackEntry.EncodedSize < count)
            {
                throw new InvalidDataException($"index file lists {count} blobs for pack {p + 1}, more than its remaining {file.Length - at} bytes hold");
            }
            for (var i = 0; i < count; i++, at += PackEntry.EncodedSize)
            {
                var type = file[(int)at];
                var compression = file[(int)at + PackEntry.EncodedSize - 1];
                if (type is not (1 or 2) || compression > 1)
                {
                    throw new InvalidDataException($"index file has a record of type {type} and compression {compression} in pack {p + 1}");
                }
            }
        }
        if (at != file.Length)
        {
            throw new InvalidDataException($"index file has {file.Length - at} bytes after its last pack");
        }
        return (int)packs;
    }
}
