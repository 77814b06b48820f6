using Backup.Core.Buffers;
using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Packs;
using Backup.Core.Storage;

namespace Backup.Core.Repositories;

public sealed partial class Repository
{
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _packLock = new(1, 1);
    private readonly HashSet<ChunkId> _pending = [];
    private readonly List<(string Name, IReadOnlyList<PackEntry> Entries)> _unindexed = [];
    private int _unindexedBlobs;
    // Held while an index file is written from _unindexed; taken after _packLock when both are.
    private readonly SemaphoreSlim _indexLock = new(1, 1);

    // The index files read into Index (or written from it), so that a refresh reads only new ones.
    private readonly HashSet<string> _indexFiles = new(StringComparer.Ordinal);
    private PackWriter? _current;

    /// <summary>
    /// Stores a blob unless a blob with the same id is already stored or pending. Compression and sealing run on the
    /// calling thread, so callers on several threads use several cores. Returns the id, whether it was new, and the
    /// sealed bytes it added. The blob is durable only after <see cref="FlushAsync"/>.
    /// </summary>
    public async Task<(ChunkId Id, bool New, long StoredBytes)> SaveBlobAsync(BlobType type, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        var id = IdOf(plaintext.Span);
        if (!TryClaim(id))
        {
            return (id, false, 0);
        }
        return (id, true, await StoreClaimedAsync(type, id, plaintext, cancellationToken));
    }

    /// <summary>
    /// True when <paramref name="id"/> is neither stored nor claimed: the caller now owns storing it with
    /// <see cref="StoreClaimedAsync"/>. False when another caller stores or stored it.
    /// </summary>
    public bool TryClaim(ChunkId id)
    {
        lock (_sync)
        {
            return !Index.Contains(id) && _pending.Add(id);
        }
    }

    /// <summary>True when <paramref name="id"/> is in the index (safe while blobs are being saved on other threads).</summary>
    public bool IsIndexed(ChunkId id)
    {
        lock (_sync)
        {
            return Index.Contains(id);
        }
    }

    /// <summary>Compresses, seals and adds a claimed blob to the pack in progress; returns the sealed bytes it adds.</summary>
    public async Task<long> StoreClaimedAsync(BlobType type, ChunkId id, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        // Pooled: chunks are around 1 MiB, and a fresh array for each would be a large-object allocation. Compressed
        // straight into place and sealed there: one buffer per chunk on its way to the pack.
        var bound = ZstdCodec.MaxStoredLength(plaintext.Length);
        var sealedBlob = Buffers.Rent(bound + BlobCipher.Overhead);
        try
        {
            var (compression, length) = WithCodec(codec =>
            {
                var id = codec.CompressInto(plaintext.Span, sealedBlob.Span.Slice(BlobCipher.PlaintextOffset, bound), out var storedLength);
                return (id, _cipher.SealInPlace(type, sealedBlob.Span, storedLength));
            });
            if (type == BlobType.Tree)
            {
                // The next backup compares against this tree: cached now, it need not be fetched back from a remote store.
                TreeCache?.Write("trees", id.ToString(), sealedBlob.Span[..length]);
            }
            PackWriter? full = null;
            await _packLock.WaitAsync(cancellationToken);
            try
            {
                _current ??= new PackWriter(_cipher, Store);
                _current.AddSealed(type, id, compression, sealedBlob.Span[..length], plaintext.Length);
                if (_current.IsFull)
                {
                    (full, _current) = (_current, null);
                }
            }
            finally
            {
                _packLock.Release();
            }
            if (full is not null)
            {
                // Committed outside the lock: other threads go on filling the next pack while this one is flushed.
                await CommitPackAsync(full, cancellationToken);
                await WriteIndexFileAsync(IndexFileBlobs, cancellationToken);
            }
            return length;
        }
        finally
        {
            Buffers.Return(sealedBlob);
        }
    }

    /// <summary>
    /// Writes the pack in progress and an index file for every pack written since the last flush. After it returns,
    /// every saved blob is durable and findable by the next process that opens the repository.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _packLock.WaitAsync(cancellationToken);
        try
        {
            if (_current is { Entries.Count: > 0 })
            {
                var last = _current;
                _current = null;
                await CommitPackAsync(last, cancellationToken);
            }
            await WriteIndexFileAsync(minimumBlobs: 1, cancellationToken);
        }
        finally
        {
            _packLock.Release();
        }
    }

    /// <summary>
    /// The blobs of committed packs after which an index file is written, before the backup ends: what a process holds
    /// unindexed stays bounded (about 100 bytes a blob, and a few MiB of JSON for the file), and an interrupted backup
    /// leaves most of its chunks findable by the next one.
    /// </summary>
    internal const int IndexFileBlobs = 32_768;

    /// <summary>
    /// Writes one index file for the committed packs not yet in one, when they hold at least
    /// <paramref name="minimumBlobs"/> blobs.
    /// </summary>
    private async Task WriteIndexFileAsync(int minimumBlobs, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_unindexedBlobs < minimumBlobs)
            {
                return;
            }
        }
        await _indexLock.WaitAsync(cancellationToken);
        try
        {
            List<(string Name, IReadOnlyList<PackEntry> Entries)> unindexed;
            lock (_sync)
            {
                if (_unindexedBlobs < minimumBlobs)
                {
                    return; // another thread wrote them meanwhile
                }
                unindexed = [.. _unindexed];
            }
            await EnsureLocksHeldAsync(cancellationToken);
            var written = await WriteObjectAsync(BlobKind.Index, BlobType.Index, RepositoryIndex.ToBinary(unindexed), cancellationToken);
            lock (_sync)
            {
                _unindexed.RemoveRange(0, unindexed.Count);
                _unindexedBlobs -= unindexed.Sum(p => p.Entries.Count);
                _indexFiles.Add(written);
            }
        }
        finally
        {
            _indexLock.Release();
        }
    }

    /// <summary>
    /// Commits a full pack and makes its blobs findable. Every save that fills a pack waits for this before it returns,
    /// so once the last save has returned, every pack but the one in progress is committed.
    /// </summary>
    private async Task CommitPackAsync(PackWriter pack, CancellationToken cancellationToken)
    {
        try
        {
            var name = await pack.FinishAsync(cancellationToken);
            lock (_sync)
            {
                Index.AddPack(name, pack.Entries);
                foreach (var e in pack.Entries)
                {
                    _pending.Remove(e.Id);
                }
                _unindexed.Add((name, [.. pack.Entries]));
                _unindexedBlobs += pack.Entries.Count;
            }
        }
        finally
        {
            pack.Dispose();
        }
    }

    /// <summary>
    /// Reads, authenticates, decompresses and checks one blob. Throws <see cref="InvalidDataException"/> naming the chunk
    /// and pack when it is missing or damaged.
    /// </summary>
    public async Task<byte[]> LoadBlobAsync(ChunkId id, CancellationToken cancellationToken)
    {
        var blob = await LoadPooledBlobAsync(id, cancellationToken);
        try
        {
            return blob.Span.ToArray();
        }
        finally
        {
            blob.Dispose();
        }
    }

    /// <summary>
    /// <see cref="LoadBlobAsync"/> into a buffer of the repository's pool: one chunk after another, a restore then reuses
    /// the same few arrays instead of allocating one per chunk. Dispose the result when its bytes are used.
    /// </summary>
    /// <param name="id">The blob.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <param name="expected">The type the caller needs (a tree for a directory, data for a file); another is refused.</param>
    internal async Task<PooledBlob> LoadPooledBlobAsync(ChunkId id, CancellationToken cancellationToken, BlobType? expected = null)
    {
        var (pack, entry) = Locate(id, expected);
        var length = (int)entry.Length;
        var sealedBlob = Buffers.Rent(length);
        try
        {
            if (entry.Type == BlobType.Tree && TryOpenCachedTree(id, entry) is { } cached)
            {
                return cached;
            }
            try
            {
                await Store.ReadRangeAsync(BlobKind.Pack, pack, entry.Offset, sealedBlob.Memory[..length], cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
            {
                throw new InvalidDataException($"chunk {id} in pack {pack} cannot be read: {e.Message}", e);
            }
            var plaintext = OpenSealedBlob(pack, entry, sealedBlob.Span[..length]);
            if (entry.Type == BlobType.Tree)
            {
                TreeCache?.Write("trees", id.ToString(), sealedBlob.Span[..length]);
            }
            return plaintext;
        }
        finally
        {
            Buffers.Return(sealedBlob);
        }
    }

    /// <summary>
    /// Where blob <paramref name="id"/> lies, from the index, its lengths checked (<see cref="BlobLimits.Check"/>) before
    /// they size a buffer: an index may be damaged or forged. Throws <see cref="InvalidDataException"/> when the index
    /// does not know it, or when it is not of the <paramref name="expected"/> type.
    /// </summary>
    internal (string Pack, PackEntry Entry) Locate(ChunkId id, BlobType? expected)
    {
        (string Pack, PackEntry Entry)? found;
        lock (_sync)
        {
            found = Index.Find(id);
        }
        if (found is not { } where)
        {
            throw new InvalidDataException($"chunk {id} is not in the index (run 'backup repair index' if packs hold it)");
        }
        if (expected is { } type && where.Entry.Type != type)
        {
            throw new InvalidDataException($"{Describe(type)} {id} is a {Describe(where.Entry.Type)} in pack {where.Pack}");
        }
        BlobLimits.Check(where.Entry, where.Pack);
        return where;
    }

    /// <summary>
    /// Authenticates, decompresses and checks against its id the sealed blob <paramref name="sealedBlob"/>, read from
    /// <paramref name="pack"/> where <paramref name="entry"/> (checked by <see cref="Locate"/>) says it lies, into a
    /// buffer of the pool. Throws <see cref="InvalidDataException"/> naming the chunk and pack when it is damaged.
    /// </summary>
    internal PooledBlob OpenSealedBlob(string pack, PackEntry entry, ReadOnlySpan<byte> sealedBlob)
    {
        // The decrypted form is only a step on the way: pooled, like the result.
        var stored = Buffers.Rent((int)entry.Length);
        var plaintext = new PooledBlob(Buffers, Buffers.Rent((int)entry.RawLength), (int)entry.RawLength);
        try
        {
            try
            {
                var storedLength = _cipher.Open(entry.Type, sealedBlob, stored.Span);
                WithCodec(codec =>
                {
                    codec.DecompressInto(entry.Compression, stored.Span[..storedLength], plaintext.Writable);
                    return 0;
                });
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"chunk {entry.Id} in pack {pack} cannot be read: {e.Message}", e);
            }
            if (IdOf(plaintext.Span) != entry.Id)
            {
                throw new InvalidDataException($"chunk {entry.Id} in pack {pack} is damaged: its content does not match its id");
            }
            return plaintext;
        }
        catch
        {
            plaintext.Dispose();
            throw;
        }
        finally
        {
            Buffers.Return(stored);
        }
    }

    /// <summary>
    /// The plaintext of tree <paramref name="id"/> from its cached copy, when there is one that authenticates under this
    /// repository's key and hashes to the id; a copy that does not is dropped.
    /// </summary>
    private PooledBlob? TryOpenCachedTree(ChunkId id, PackEntry entry)
    {
        var name = id.ToString();
        if (TreeCache?.TryRead("trees", name, entry.Length) is not { } cached)
        {
            return null;
        }
        if (cached.Length == entry.Length)
        {
            try
            {
                return OpenSealedBlob("(cache)", entry, cached);
            }
            catch (InvalidDataException)
            {
                // Not this repository's tree, or damaged: read it from the store.
            }
        }
        TreeCache.Remove("trees", name);
        return null;
    }

    private static string Describe(BlobType type) => type switch
    {
        BlobType.Data => "data chunk",
        BlobType.Tree => "tree",
        _ => $"blob of type {(byte)type}",
    };

    /// <summary>Marks an index file's plaintext as zstd-compressed JSON, as builds before 2026-12-01 wrote them (docs/repository.md, "Index").</summary>
    private const byte CompressedIndex = 1;

    /// <summary>
    /// Adds one index file's plaintext to <see cref="Index"/>: binary (<see cref="RepositoryIndex.BinaryFormat"/>), or the
    /// JSON of earlier builds, compressed or not. Throws <see cref="InvalidDataException"/> naming the file when it is neither.
    /// </summary>
    private void AddIndexFile(byte[] plaintext, string name)
    {
        try
        {
            if (plaintext is [RepositoryIndex.BinaryFormat, ..])
            {
                Index.AddBinary(plaintext);
            }
            else
            {
                Index.AddJson(DecompressIndex(plaintext, name));
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("index file " + name, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"index file {name}: {e.Message}", e);
        }
    }

    /// <summary>The JSON of an index file's plaintext (see <see cref="CompressedIndex"/>).</summary>
    private byte[] DecompressIndex(byte[] plaintext, string name)
    {
        if (plaintext.Length == 0 || plaintext[0] != CompressedIndex)
        {
            return plaintext;
        }
        if (plaintext.Length < 5)
        {
            throw new InvalidDataException($"index file {name} is truncated");
        }
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(plaintext.AsSpan(1));
        try
        {
            // Checked before the allocation: a length above what the frame can decode to, or than an array can hold.
            ZstdCodec.CheckLength(CompressionId.Zstd, plaintext.Length - 5, length);
            if (length > Array.MaxLength)
            {
                throw new InvalidDataException($"{length} bytes is more than an index file can hold");
            }
            return WithCodec(codec => codec.Decompress(CompressionId.Zstd, plaintext.AsSpan(5), (int)length));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"index file {name}: {e.Message}", e);
        }
    }

    /// <summary>Seals and writes a whole object file named by the SHA-256 of its stored bytes; returns the name.</summary>
    private async Task<string> WriteObjectAsync(BlobKind kind, BlobType type, byte[] plaintext, CancellationToken cancellationToken)
    {
        var sealedObject = Seal(type, plaintext);
        var name = Convert.ToHexStringLower(SHA256.HashData(sealedObject));
        await Store.WriteAsync(kind, name, sealedObject, cancellationToken);
        return name;
    }

    /// <summary>Reads an object file, checking that its bytes match its name (a swapped file is detected) and that it authenticates.</summary>
    private async Task<byte[]> ReadObjectAsync(BlobKind kind, BlobType type, string name, CancellationToken cancellationToken)
    {
        var sealedObject = await Store.ReadAsync(kind, name, cancellationToken);
        if (Convert.ToHexStringLower(SHA256.HashData(sealedObject)) != name)
        {
            throw new InvalidDataException($"{kind.ToString().ToLowerInvariant()} file {name} is damaged or was replaced: its content does not match its name");
        }
        try
        {
            return Open(type, sealedObject);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{kind.ToString().ToLowerInvariant()} file {name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Replaces every index file by one that lists exactly <paramref name="index"/>: the new file is written first, then
    /// the old ones are deleted, so a crash leaves either state, both complete. Call under an exclusive lock.
    /// </summary>
    public async Task RewriteIndexAsync(RepositoryIndex index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        var old = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Index, cancellationToken))
        {
            old.Add(name);
        }
        await EnsureLocksHeldAsync(cancellationToken);
        var written = await WriteObjectAsync(BlobKind.Index, BlobType.Index, index.ToBinary(), cancellationToken);
        foreach (var name in old.Where(n => n != written))
        {
            await Store.DeleteAsync(BlobKind.Index, name, cancellationToken);
        }
        lock (_sync)
        {
            Index.Clear();
            Index.AddBinary(index.ToBinary());
            _indexFiles.Clear();
            _indexFiles.Add(written);
        }
    }

    /// <summary>Reads a whole pack and returns its checked header and its bytes. Throws <see cref="InvalidDataException"/> naming a damaged pack.</summary>
    public async Task<(IReadOnlyList<PackEntry> Header, byte[] Bytes)> ReadPackAsync(string name, CancellationToken cancellationToken)
    {
        var bytes = await Store.ReadAsync(BlobKind.Pack, name, cancellationToken);
        return (PackReader.ReadHeader(name, bytes, _cipher), bytes);
    }

    /// <summary>Opens, decompresses and checks one blob of a pack read whole; throws <see cref="InvalidDataException"/> when damaged.</summary>
    public byte[] OpenPackBlob(PackEntry entry, ReadOnlySpan<byte> pack)
    {
        if ((long)entry.Offset + entry.Length > pack.Length)
        {
            throw new InvalidDataException($"blob {entry.Id} lies past the end of its pack");
        }
        var stored = Open(entry.Type, pack.Slice((int)entry.Offset, (int)entry.Length));
        ZstdCodec.CheckLength(entry.Compression, stored.Length, entry.RawLength);
        var plaintext = new byte[entry.RawLength];
        WithCodec(codec =>
        {
            codec.DecompressInto(entry.Compression, stored, plaintext);
            return 0;
        });
        if (IdOf(plaintext) != entry.Id)
        {
            throw new InvalidDataException($"blob {entry.Id} does not match its id");
        }
        return plaintext;
    }

    /// <summary>A new empty pack sealed with this repository's key.</summary>
    internal PackWriter NewPack() => new(_cipher, Store);

    private async Task LoadIndexAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Index, cancellationToken))
        {
            names.Add(name);
        }
        // The map grows a page at a time and never copies its entries (RepositoryIndex), so nothing is sized from the
        // listing, whose sizes are not authenticated.
        foreach (var name in names)
        {
            var plaintext = await ReadObjectAsync(BlobKind.Index, BlobType.Index, name, cancellationToken);
            AddIndexFile(plaintext, name);
            lock (_sync)
            {
                _indexFiles.Add(name);
            }
        }
        // Each index file was read into arrays that are garbage once its entries are in the map (1.5 MiB and more a
        // file, on the large-object heap); the collector would keep that room until its budget runs out. One full
        // collection now gives it back before the command's work begins (milliseconds at a small index, about 0.1 s at
        // a million chunks).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>
    /// Brings the index in memory up to what <c>index/</c> lists now, reading only the index files it has not read
    /// (they are written once and never changed); when a file it read is gone (a prune or a repair rewrote the index),
    /// the whole index is read again, as <see cref="ReloadIndexAsync"/> does. A daemon that keeps the repository open
    /// calls this after each lock it takes (lock, then load), at the cost of one listing when nothing changed.
    /// </summary>
    public async Task RefreshIndexAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Index, cancellationToken))
        {
            names.Add(name);
        }
        List<string> fresh;
        bool reload;
        lock (_sync)
        {
            if (_pending.Count > 0 || _unindexed.Count > 0)
            {
                throw new InvalidOperationException("the index cannot be refreshed while saved blobs are not flushed");
            }
            reload = !IndexLoaded || !_indexFiles.IsSubsetOf(names);
            fresh = [.. names.Where(n => !_indexFiles.Contains(n))];
        }
        if (reload)
        {
            await ReloadIndexAsync(cancellationToken);
            return;
        }
        foreach (var name in fresh)
        {
            var plaintext = await ReadObjectAsync(BlobKind.Index, BlobType.Index, name, cancellationToken);
            lock (_sync)
            {
                AddIndexFile(plaintext, name);
                _indexFiles.Add(name);
            }
        }
    }
}
