using System.Runtime.CompilerServices;

namespace Backup.Core.Repositories;

/// <summary>
/// A hash map from chunk ids to small values whose entries never move (docs/repository.md, "Index"). Entries are
/// appended to pages of <see cref="PageSize"/> and chained from a table of 4-byte bucket heads; growing the map
/// allocates a new page, and now and then a bucket table twice as large, but never copies an entry. A
/// <see cref="Dictionary{TKey, TValue}"/> of a million chunks held its old and new arrays at once as it doubled (58 and
/// 117 MiB) and kept up to half of its room empty; this map costs 52 bytes a chunk (with a 16-byte value), plus 4 to 8
/// bytes of buckets. Not thread-safe.
/// </summary>
internal sealed class ChunkMap<TValue>
    where TValue : struct
{
    /// <summary>Entries a page holds: 16,384, so a page of ids is 512 KiB.</summary>
    public const int PageSize = 1 << PageBits;

    private const int PageBits = 14;
    private const int MinBuckets = 16;

    private readonly List<Page> _pages = [];
    // Head of each bucket's chain: an entry's number plus one, 0 for none. A power of two in length, at least Count.
    private int[] _buckets = new int[MinBuckets];

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>The bucket heads allocated, for tests of growth.</summary>
    internal int Buckets => _buckets.Length;

    /// <summary>Forgets every entry and gives its memory back.</summary>
    public void Clear()
    {
        _pages.Clear();
        _buckets = new int[MinBuckets];
        Count = 0;
    }

    /// <summary>True when <paramref name="key"/> is held.</summary>
    public bool ContainsKey(ChunkId key) => Find(key) >= 0;

    /// <summary>The value of <paramref name="key"/>, if it is held.</summary>
    public bool TryGetValue(ChunkId key, out TValue value)
    {
        var entry = Find(key);
        if (entry < 0)
        {
            value = default;
            return false;
        }
        value = _pages[entry >> PageBits].Values[entry & (PageSize - 1)];
        return true;
    }

    /// <summary>Adds <paramref name="key"/> unless it is held; false (and the old value kept) when it is.</summary>
    public bool TryAdd(ChunkId key, TValue value)
    {
        if (Find(key) >= 0)
        {
            return false;
        }
        if (Count == int.MaxValue - 1)
        {
            throw new InvalidOperationException("the chunk map is full");
        }
        if (Count >= _buckets.Length && _buckets.Length < 1 << 30)
        {
            Rehash(_buckets.Length * 2);
        }
        var entry = Count;
        if ((entry & (PageSize - 1)) == 0)
        {
            _pages.Add(new Page());
        }
        var page = _pages[entry >> PageBits];
        var slot = entry & (PageSize - 1);
        page.Keys[slot] = key;
        page.Values[slot] = value;
        var bucket = Bucket(key, _buckets.Length);
        page.Next[slot] = _buckets[bucket];
        _buckets[bucket] = entry + 1;
        Count++;
        return true;
    }

    /// <summary>Every entry, in the order added.</summary>
    public IEnumerable<KeyValuePair<ChunkId, TValue>> Entries()
    {
        for (var entry = 0; entry < Count; entry++)
        {
            var page = _pages[entry >> PageBits];
            var slot = entry & (PageSize - 1);
            yield return new(page.Keys[slot], page.Values[slot]);
        }
    }

    private int Find(ChunkId key)
    {
        var next = _buckets[Bucket(key, _buckets.Length)];
        while (next != 0)
        {
            var entry = next - 1;
            var page = _pages[entry >> PageBits];
            var slot = entry & (PageSize - 1);
            if (page.Keys[slot] == key)
            {
                return entry;
            }
            next = page.Next[slot];
        }
        return -1;
    }

    private void Rehash(int buckets)
    {
        var table = new int[buckets];
        for (var entry = 0; entry < Count; entry++)
        {
            var page = _pages[entry >> PageBits];
            var slot = entry & (PageSize - 1);
            var bucket = Bucket(page.Keys[slot], buckets);
            page.Next[slot] = table[bucket];
            table[bucket] = entry + 1;
        }
        _buckets = table;
    }

    // Chunk ids are HMACs, uniform in every bit, but ids made in tests and by hand are not: the four words are folded and
    // multiplied by 2^64 / phi, and the top bits chosen.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bucket(ChunkId key, int buckets) =>
        (int)(((key.A ^ key.B ^ key.C ^ key.D) * 0x9E3779B97F4A7C15UL) >> (64 - System.Numerics.BitOperations.Log2((uint)buckets)));

    private sealed class Page
    {
        public readonly ChunkId[] Keys = new ChunkId[PageSize];
        public readonly TValue[] Values = new TValue[PageSize];
        public readonly int[] Next = new int[PageSize];
    }
}
