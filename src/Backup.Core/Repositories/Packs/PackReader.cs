using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Encryption;
using Backup.Core.Repositories;

namespace Backup.Core.Repositories.Packs;

/// <summary>Reads what <see cref="PackWriter"/> wrote. Thread-safe: no state.</summary>
public static class PackReader
{
    /// <summary>
    /// Checks a whole pack against its name (SHA-256) and returns its header. Throws <see cref="InvalidDataException"/>
    /// naming the pack when the bytes do not match the name, the header length (uint32 LE, the last 4 bytes) points
    /// outside the pack, the header does not authenticate, or one of its records is out of bounds
    /// (<see cref="BlobLimits.Check"/>: every blob must lie inside the pack, before the header).
    /// </summary>
    public static IReadOnlyList<PackEntry> ReadHeader(string name, ReadOnlySpan<byte> pack, BlobCipher cipher)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        if (Convert.ToHexStringLower(SHA256.HashData(pack)) != name)
        {
            throw new InvalidDataException($"pack {name} is damaged: its content does not match its name");
        }
        if (pack.Length < 4)
        {
            throw new InvalidDataException($"pack {name} is truncated");
        }
        // Unsigned and compared in 64 bits: a length of 0xFFFFFFFF is not -1.
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pack[^4..]);
        if (headerLength > (long)pack.Length - 4)
        {
            throw new InvalidDataException($"pack {name} has a header length ({headerLength} bytes) past its start ({pack.Length - 4} bytes before it)");
        }
        var headerStart = pack.Length - 4 - (int)headerLength;
        byte[] header;
        try
        {
            header = cipher.Open(BlobType.PackHeader, pack.Slice(headerStart, (int)headerLength));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"pack {name} has a header that cannot be read: {e.Message}", e);
        }
        if (header.Length % PackEntry.EncodedSize != 0)
        {
            throw new InvalidDataException($"pack {name} has a malformed header");
        }
        var entries = new PackEntry[header.Length / PackEntry.EncodedSize];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = PackWriter.Decode(header.AsSpan(i * PackEntry.EncodedSize, PackEntry.EncodedSize));
            BlobLimits.Check(entries[i], name, headerStart);
        }
        return entries;
    }

    /// <summary>Opens one sealed blob (as read from the pack at the entry's offset and length).</summary>
    public static byte[] OpenBlob(PackEntry entry, ReadOnlySpan<byte> sealedBlob, BlobCipher cipher)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        return cipher.Open(entry.Type, sealedBlob);
    }
}
