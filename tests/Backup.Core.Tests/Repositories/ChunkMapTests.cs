using Backup.Core.Repositories;

namespace Backup.Core.Tests.Repositories;

public class ChunkMapTests
{
    [Fact]
    public void TryAdd_ManyAcrossPages_EveryOneFoundWithItsValue()
    {
        var map = new ChunkMap<long>();
        const int count = (ChunkMap<long>.PageSize * 3) + 17;
        for (var i = 0; i < count; i++)
        {
            Assert.True(map.TryAdd(Id(i), i * 7L));
        }

        Assert.Equal(count, map.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.True(map.TryGetValue(Id(i), out var value));
            Assert.Equal(i * 7L, value);
        }
        Assert.False(map.ContainsKey(Id(count)));
        Assert.False(map.TryGetValue(Id(-1), out _));
        Assert.Equal(Enumerable.Range(0, count).Select(i => i * 7L), map.Entries().Select(e => e.Value));
    }

    [Fact]
    public void TryAdd_KeyHeld_KeepsTheFirstValue()
    {
        var map = new ChunkMap<int>();
        Assert.True(map.TryAdd(Id(1), 10));

        Assert.False(map.TryAdd(Id(1), 20));

        Assert.Equal(1, map.Count);
        Assert.True(map.TryGetValue(Id(1), out var value));
        Assert.Equal(10, value);
    }

    [Fact]
    public void Keys_ThatFoldToOneBucket_AreStillTold()
    {
        // A ^ B ^ C ^ D is the same for all of these, so they share one chain at every table size.
        var map = new ChunkMap<int>();
        var keys = Enumerable.Range(0, 100).Select(i => new ChunkId((ulong)i, (ulong)i, 5, 9)).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            map.TryAdd(keys[i], i);
        }

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.True(map.TryGetValue(keys[i], out var value));
            Assert.Equal(i, value);
        }
        Assert.False(map.ContainsKey(new ChunkId(100, 100, 5, 9)));
    }

    [Fact]
    public void Buckets_StayBetweenOnceAndTwiceTheCount()
    {
        var map = new ChunkMap<int>();
        for (var i = 0; i < 5_000; i++)
        {
            map.TryAdd(Id(i), i);
        }

        Assert.Equal(8_192, map.Buckets);
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        var map = new ChunkMap<int>();
        for (var i = 0; i < 40_000; i++)
        {
            map.TryAdd(Id(i), i);
        }

        map.Clear();

        Assert.Equal(0, map.Count);
        Assert.Equal(16, map.Buckets);
        Assert.False(map.ContainsKey(Id(3)));
        Assert.True(map.TryAdd(Id(3), 4));
        Assert.True(map.TryGetValue(Id(3), out var value));
        Assert.Equal(4, value);
    }

    [Fact]
    public void Growing_ToAMillionChunks_AllocatesUnder64BytesAChunkInAll()
    {
        // Entries are never copied, so what growing allocates is the pages (52 bytes a chunk with a 16-byte value) and
        // the bucket tables, each twice the last (8 bytes a chunk at most, summed). A Dictionary allocates about 190
        // bytes a chunk on the way to a million, and holds the last two copies at once.
        const int count = 1_000_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var map = new ChunkMap<(uint, uint, uint, uint)>();
        for (var i = 0; i < count; i++)
        {
            map.TryAdd(Id(i), ((uint)i, 0, 0, 0));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(count, map.Count);
        Assert.InRange(allocated, 52L * count, 64L * count);
    }

    private static ChunkId Id(int i) => new((ulong)i * 0x9E3779B97F4A7C15UL, (ulong)i, 0, 1);
}
