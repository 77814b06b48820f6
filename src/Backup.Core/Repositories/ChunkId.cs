using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Backup.Core.Repositories;

/// <summary>
/// A chunk's id: HMAC-SHA256 of its plaintext under the repository's id key (docs/repository.md, "Chunks"). A value
/// type of 32 bytes with cheap equality, so the in-memory index costs no allocation per chunk.
/// </summary>
public readonly record struct ChunkId(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>The id of <paramref name="plaintext"/> under <paramref name="idKey"/>.</summary>
    public static ChunkId Compute(ReadOnlySpan<byte> idKey, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(idKey, plaintext, mac);
        return FromBytes(mac);
    }

    /// <summary>Reads an id from 32 bytes.</summary>
    public static ChunkId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32)
        {
            throw new ArgumentException("a chunk id is 32 bytes", nameof(bytes));
        }
        return new ChunkId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>Parses 64 hex digits.</summary>
    public static ChunkId Parse(string hex) => FromBytes(Convert.FromHexString(hex));

    /// <summary>Parses 64 hex digits; false for anything else.</summary>
    public static bool TryParse(string? hex, out ChunkId id)
    {
        Span<byte> bytes = stackalloc byte[32];
        if (hex is not { Length: 64 } || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            id = default;
            return false;
        }
        id = FromBytes(bytes);
        return true;
    }

    /// <summary>
    /// Parses an id read from a stored object; throws <see cref="InvalidDataException"/> naming <paramref name="what"/>
    /// unless it is 64 hex digits.
    /// </summary>
    public static ChunkId ParseStored(string? hex, string what) =>
        TryParse(hex, out var id) ? id : throw new InvalidDataException($"{what} has an id that is not 64 hex digits");

    /// <summary>Writes the id's 32 bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[32];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
