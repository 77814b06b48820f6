using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Repositories;

/// <summary>
/// The largest blobs the format allows (docs/repository.md, "Packs"), which every reader checks a length against before
/// it allocates for it: a pack header, an index entry or a raw length that says more is damaged or forged, and refused
/// with an <see cref="InvalidDataException"/> naming the blob and its pack.
/// </summary>
public static class BlobLimits
{
    /// <summary>
    /// Plaintext of a data chunk: 16 MiB, twice the chunker's largest chunk (8 MiB), so a repository whose config asks
    /// for larger chunks than the default still reads.
    /// </summary>
    public const int MaxDataLength = 16 << 20;

    /// <summary>
    /// Plaintext of a tree (a directory's JSON, or a subtree index blob): 1 GiB. A node costs about 300 bytes plus 67
    /// per chunk of its file, so this holds a directory of three million small files, or of 15 TiB of data. Trees
    /// above it are refused when written too.
    /// </summary>
    public const int MaxTreeLength = 1 << 30;

    /// <summary>The largest plaintext a pack may hold for a blob of <paramref name="type"/>; 0 for types packs do not hold.</summary>
    public static int MaxRawLength(BlobType type) => type switch
    {
        BlobType.Data => MaxDataLength,
        BlobType.Tree => MaxTreeLength,
        _ => 0,
    };

    /// <summary>The largest sealed blob of <paramref name="type"/>: its largest plaintext stored raw, plus the sealing.</summary>
    public static int MaxSealedLength(BlobType type) => MaxRawLength(type) + BlobCipher.Overhead;

    /// <summary>
    /// Checks one record of a pack header or of the index before anything is read or allocated for it: a type that
    /// packs hold, a known compression, a sealed length within its type's bound (and, when <paramref name="packDataLength"/>
    /// is given, inside the pack's blobs, in 64-bit arithmetic), and a raw length that the sealed length can decode to.
    /// Throws <see cref="InvalidDataException"/> naming the blob and <paramref name="pack"/>.
    /// </summary>
    public static void Check(PackEntry entry, string pack, long? packDataLength = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var blob = $"blob {entry.Id} in pack {pack}";
        if (MaxRawLength(entry.Type) == 0)
        {
            throw new InvalidDataException($"{blob} has type {(byte)entry.Type}, which packs do not hold");
        }
        if (entry.Compression is not (CompressionId.None or CompressionId.Zstd))
        {
            throw new InvalidDataException($"{blob} has unknown compression id {(byte)entry.Compression}");
        }
        if (entry.Length < BlobCipher.Overhead || entry.Length > MaxSealedLength(entry.Type))
        {
            throw new InvalidDataException($"{blob} has a length of {entry.Length} bytes, outside {BlobCipher.Overhead}–{MaxSealedLength(entry.Type)} for its type");
        }
        if (packDataLength is { } end && (long)entry.Offset + entry.Length > end)
        {
            throw new InvalidDataException($"{blob} lies past the end of the pack's blobs ({entry.Offset} + {entry.Length} > {end})");
        }
        if (entry.RawLength > MaxRawLength(entry.Type))
        {
            throw new InvalidDataException($"{blob} has a raw length of {entry.RawLength} bytes, more than {MaxRawLength(entry.Type)} for its type");
        }
        try
        {
            ZstdCodec.CheckLength(entry.Compression, entry.Length - BlobCipher.Overhead, entry.RawLength);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{blob}: {e.Message}", e);
        }
    }
}
