using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;

namespace Backup.Core.Archiving.Repository;

/// <summary>
/// Builds one pack in memory (docs/repository.md, "Packs"): sealed blobs one after another, then the sealed header that
/// lists them, then the header's length as uint32 LE. The pack's name is the SHA-256 of its bytes. Not thread-safe.
/// Memory: the pack itself, bounded by <see cref="TargetSize"/> plus one blob.
/// </summary>
public sealed class PackWriter : IDisposable
{
    /// <summary>
    /// Packs are closed once they reach 16 MiB: few enough files for a large repository, small enough that prune
    /// rewrites little and that a pack fits in memory.
    /// </summary>
    public const int TargetSize = 16 << 20;

    private readonly BlobCipher _cipher;
    // Sized once for a full pack plus one largest blob, so it never grows by doubling and copying.
    private readonly MemoryStream _body = new(TargetSize + (9 << 20));
    private readonly List<PackEntry> _entries = [];

    /// <summary>Creates an empty pack sealed with <paramref name="cipher"/>.</summary>
    public PackWriter(BlobCipher cipher) => _cipher = cipher;

    /// <summary>Blobs added so far.</summary>
    public IReadOnlyList<PackEntry> Entries => _entries;

    /// <summary>Bytes added so far.</summary>
    public long Size => _body.Length;

    /// <summary>True once the pack should be written.</summary>
    public bool IsFull => _body.Length >= TargetSize;

    /// <summary>Seals and adds a blob; returns its record (offset within this pack).</summary>
    public PackEntry Add(BlobType type, ChunkId id, CompressionId compression, ReadOnlySpan<byte> stored, int rawLength) =>
        AddSealed(type, id, compression, _cipher.Seal(type, stored), rawLength);

    /// <summary>Adds a blob already sealed with this pack's cipher (sealing can then happen on another thread).</summary>
    public PackEntry AddSealed(BlobType type, ChunkId id, CompressionId compression, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        var entry = new PackEntry(type, id, checked((uint)_body.Length), (uint)sealedBlob.Length, (uint)rawLength, compression);
        _body.Write(sealedBlob);
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Finishes the pack: its name (hex SHA-256) and its bytes (valid until this writer is disposed).</summary>
    public (string Name, ReadOnlyMemory<byte> Bytes) Finish()
    {
        var header = new byte[_entries.Count * PackEntry.EncodedSize];
        for (var i = 0; i < _entries.Count; i++)
        {
            Encode(_entries[i], header.AsSpan(i * PackEntry.EncodedSize, PackEntry.EncodedSize));
        }
        var sealedHeader = _cipher.Seal(BlobType.PackHeader, header);
        _body.Write(sealedHeader);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)sealedHeader.Length);
        _body.Write(length);
        var bytes = _body.GetBuffer().AsMemory(0, (int)_body.Length);
        return (Convert.ToHexStringLower(SHA256.HashData(bytes.Span)), bytes);
    }

    /// <summary>Empties the writer for the next pack, keeping its buffer (16 MiB and more: worth reusing).</summary>
    public void Reset()
    {
        _body.SetLength(0);
        _entries.Clear();
    }

    /// <inheritdoc/>
    public void Dispose() => _body.Dispose();

    internal static void Encode(PackEntry entry, Span<byte> destination)
    {
        destination[0] = (byte)entry.Type;
        entry.Id.WriteTo(destination[1..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[33..], entry.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[37..], entry.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[41..], entry.RawLength);
        destination[45] = (byte)entry.Compression;
    }

    internal static PackEntry Decode(ReadOnlySpan<byte> source) => new(
        (BlobType)source[0],
        ChunkId.FromBytes(source.Slice(1, 32)),
        BinaryPrimitives.ReadUInt32LittleEndian(source[33..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[37..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[41..]),
        (CompressionId)source[45]);
}
