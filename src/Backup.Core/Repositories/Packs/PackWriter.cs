using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Storage;

namespace Backup.Core.Repositories.Packs;

/// <summary>
/// Writes one pack (docs/repository.md, "Packs") straight to the store as blobs are added: sealed blobs one after
/// another, then the sealed header that lists them, then the header's length as uint32 LE. The pack's name is the
/// SHA-256 of its bytes, computed as they are written; it becomes visible under that name only when
/// <see cref="FinishAsync"/> commits it. Not thread-safe. Memory: the header entries, not the pack.
/// </summary>
public sealed class PackWriter : IDisposable
{
    /// <summary>
    /// Packs are closed once they reach 16 MiB: few enough files for a large repository, small enough that prune
    /// rewrites little.
    /// </summary>
    public const int TargetSize = 16 << 20;

    private readonly BlobCipher _cipher;
    private readonly IBlobStore _store;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PackEntry> _entries = [];
    private IBlobUpload? _upload;
    private long _size;

    /// <summary>Creates an empty pack sealed with <paramref name="cipher"/>, to be written to <paramref name="store"/>.</summary>
    public PackWriter(BlobCipher cipher, IBlobStore store)
    {
        _cipher = cipher;
        _store = store;
    }

    /// <summary>Blobs added so far.</summary>
    public IReadOnlyList<PackEntry> Entries => _entries;

    /// <summary>Bytes added so far.</summary>
    public long Size => _size;

    /// <summary>True once the pack should be written.</summary>
    public bool IsFull => _size >= TargetSize;

    /// <summary>Seals and adds a blob; returns its record (offset within this pack).</summary>
    public PackEntry Add(BlobType type, ChunkId id, CompressionId compression, ReadOnlySpan<byte> stored, int rawLength) =>
        AddSealed(type, id, compression, _cipher.Seal(type, stored), rawLength);

    /// <summary>Adds a blob already sealed with this pack's cipher (sealing can then happen on another thread).</summary>
    public PackEntry AddSealed(BlobType type, ChunkId id, CompressionId compression, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        var entry = new PackEntry(type, id, checked((uint)_size), (uint)sealedBlob.Length, (uint)rawLength, compression);
        Append(sealedBlob);
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Writes the header, then commits the pack durably under its name, which it returns.</summary>
    public async Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        var header = new byte[_entries.Count * PackEntry.EncodedSize];
        for (var i = 0; i < _entries.Count; i++)
        {
            Encode(_entries[i], header.AsSpan(i * PackEntry.EncodedSize, PackEntry.EncodedSize));
        }
        var sealedHeader = _cipher.Seal(BlobType.PackHeader, header);
        Append(sealedHeader);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)sealedHeader.Length);
        Append(length);
        var name = Convert.ToHexStringLower(_hash.GetHashAndReset());
        await _upload!.CommitAsync(name, cancellationToken);
        return name;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _upload?.Dispose();
        _hash.Dispose();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        _upload ??= _store.BeginUpload(BlobKind.Pack);
        _upload.Append(bytes);
        _hash.AppendData(bytes);
        _size += bytes.Length;
    }

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
