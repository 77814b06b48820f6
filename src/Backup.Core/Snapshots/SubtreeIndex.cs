using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Repositories;

namespace Backup.Core.Snapshots;

/// <summary>
/// A snapshot's directories by path (docs/repository.md, "Subtree index"): for each directory, a digest of the
/// metadata of everything below it as the walk saw it, and the tree stored for it. The next backup of the same source
/// compares digests after walking a directory: an equal digest means nothing below changed, so the stored tree is
/// reused without loading it or its parent. 64 bytes per directory, stored as tree blobs of at most
/// <see cref="EntriesPerBlob"/> entries.
/// </summary>
internal sealed class SubtreeIndex
{
    /// <summary>Format version: the first byte of every blob (<i>permanent</i>).</summary>
    public const byte Version = 1;

    /// <summary>Entries per blob: 4 MiB, under the largest chunk.</summary>
    public const int EntriesPerBlob = 65536;

    private const int EntrySize = 64;

    private readonly Dictionary<UInt128, (UInt128 Digest, ChunkId Tree)> _entries = [];

    /// <summary>Directories listed.</summary>
    public int Count => _entries.Count;

    /// <summary>The lookup key of a directory: the first 16 bytes of SHA-256 of its relative path bytes ("" is the root).</summary>
    public static UInt128 KeyOf(ReadOnlySpan<byte> relativePath)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(relativePath, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    /// <summary>
    /// The subtree index of <paramref name="snapshot"/>, or null when it has none (written by an older build) or it
    /// cannot be read: then the next backup compares every directory file by file, which is slower, never wrong.
    /// </summary>
    public static async Task<SubtreeIndex?> LoadAsync(Repository repository, SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.SubtreeIndex is not { } blobs)
        {
            return null;
        }
        var index = new SubtreeIndex();
        try
        {
            foreach (var id in blobs)
            {
                index.AddEncoded(await repository.LoadBlobAsync(ChunkId.Parse(id), cancellationToken));
            }
            return index;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Adds or replaces the entry of the directory with key <paramref name="key"/>.</summary>
    public void Add(UInt128 key, UInt128 digest, ChunkId tree) => _entries[key] = (digest, tree);

    /// <summary>The stored tree of the directory with key <paramref name="key"/> when its digest is <paramref name="digest"/>.</summary>
    public ChunkId? Find(UInt128 key, UInt128 digest) =>
        _entries.TryGetValue(key, out var e) && e.Digest == digest ? e.Tree : null;

    /// <summary>The digest and stored tree of the directory with key <paramref name="key"/>, or null when it is not indexed.</summary>
    public (UInt128 Digest, ChunkId Tree)? Get(UInt128 key) => _entries.TryGetValue(key, out var e) ? e : null;

    /// <summary>Takes the directory with key <paramref name="key"/> out (it is no longer complete).</summary>
    public void Remove(UInt128 key) => _entries.Remove(key);

    /// <summary>A copy, to be changed without changing this one.</summary>
    public SubtreeIndex Clone()
    {
        var copy = new SubtreeIndex();
        foreach (var (key, value) in _entries)
        {
            copy._entries[key] = value;
        }
        return copy;
    }

    /// <summary>The stored tree of the directory with key <paramref name="key"/>, whatever its digest.</summary>
    public ChunkId? TreeOf(UInt128 key) => _entries.TryGetValue(key, out var e) ? e.Tree : null;

    /// <summary>
    /// The index as blob plaintexts sorted by key. A blob ends after a key whose low 10 bits are zero (about 1,024
    /// entries, 64 KiB), or at <see cref="EntriesPerBlob"/>: the cuts depend on the keys alone, so a snapshot that changed
    /// a few directories writes a few new blobs and shares the others with its parent.
    /// </summary>
    public IEnumerable<byte[]> Encode()
    {
        var piece = new List<KeyValuePair<UInt128, (UInt128 Digest, ChunkId Tree)>>();
        foreach (var entry in _entries.OrderBy(e => e.Key))
        {
            piece.Add(entry);
            if ((entry.Key & 0x3FF) == 0 || piece.Count == EntriesPerBlob)
            {
                yield return EncodePiece(piece);
                piece.Clear();
            }
        }
        if (piece.Count > 0)
        {
            yield return EncodePiece(piece);
        }
    }

    private static byte[] EncodePiece(List<KeyValuePair<UInt128, (UInt128 Digest, ChunkId Tree)>> piece)
    {
        var bytes = new byte[1 + (piece.Count * EntrySize)];
        bytes[0] = Version;
        var at = bytes.AsSpan(1);
        foreach (var (key, (digest, tree)) in piece)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(at, key);
            BinaryPrimitives.WriteUInt128LittleEndian(at[16..], digest);
            tree.WriteTo(at[32..]);
            at = at[EntrySize..];
        }
        return bytes;
    }

    /// <summary>Adds the entries of one blob. Throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public void AddEncoded(ReadOnlySpan<byte> blob)
    {
        if (blob.Length == 0 || blob[0] != Version || (blob.Length - 1) % EntrySize != 0)
        {
            throw new InvalidDataException("subtree index blob has an unknown version or a torn entry");
        }
        for (var at = blob[1..]; at.Length > 0; at = at[EntrySize..])
        {
            Add(BinaryPrimitives.ReadUInt128LittleEndian(at), BinaryPrimitives.ReadUInt128LittleEndian(at[16..]), ChunkId.FromBytes(at.Slice(32, 32)));
        }
    }
}
