using Backup.Core.Archiving.Trees;
using Backup.Core.Buffers;
using Backup.Core.Chunking;

namespace Backup.Core.Tests.Archiving.Trees;

public sealed class ChunkReaderTests
{
    private static readonly FastCdc Chunker = new("chunk-reader-test-key-0123456789"u8);

    /// <summary>
    /// The chunks read straight into buffers of their own, from a stream that answers with short reads, are those of
    /// <see cref="FastCdc.Split"/> byte for byte, whether each chunk's buffer is taken (a new chunk), copied (a chunk
    /// hashed on the pool) or used again.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Next_ShortReadsAndTakenBuffers_GivesTheChunksOfSplit(bool takeEveryOther, bool copy)
    {
        var data = new byte[21 << 20];
        new Random(7).NextBytes(data.AsSpan(0, 12 << 20)); // then 9 MiB of zeros: a chunk of the maximum size
        var expected = Chunker.Split(new MemoryStream(data)).Select(c => c.ToArray()).ToList();
        using var pool = new BufferPool(4 << 20);
        using var reader = new ChunkReader(Chunker, pool);

        reader.Begin(new ShortReads(data, seed: 3));
        var chunks = new List<byte[]>();
        while (reader.Next())
        {
            chunks.Add(reader.Chunk.ToArray());
            if (takeEveryOther && chunks.Count % 2 == 1)
            {
                var taken = copy ? reader.CopyChunk() : reader.TakeChunk();
                Assert.Equal(chunks[^1], taken.Span[..chunks[^1].Length].ToArray());
                pool.Return(taken);
            }
        }

        Assert.Equal(expected.Count, chunks.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(chunks[i]), $"chunk {i} differs");
        }
    }

    [Fact]
    public void Next_EmptyStreamThenAnother_GivesNothingThenItsChunks()
    {
        using var pool = new BufferPool(4 << 20);
        using var reader = new ChunkReader(Chunker, pool);

        reader.Begin(new MemoryStream());
        Assert.False(reader.Next());
        reader.Begin(new MemoryStream([1, 2, 3]));
        Assert.True(reader.Next());
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.Chunk.ToArray());
        Assert.False(reader.Next());
    }

    [Fact]
    public void TakeChunk_SmallChunk_ComesInABufferOfItsSizeAndTheReaderKeepsItsOwn()
    {
        using var pool = new BufferPool(0);
        using var reader = new ChunkReader(Chunker, pool);
        var small = new byte[1000];
        new Random(1).NextBytes(small);

        reader.Begin(new MemoryStream(small));
        Assert.True(reader.Next());
        var taken = reader.TakeChunk();

        Assert.Equal(BufferPool.SizeClass(small.Length), taken.Length); // not a buffer of the 8 MiB maximum chunk
        Assert.Equal(small, taken.Span[..small.Length].ToArray());
        Assert.False(reader.Next());
        pool.Return(taken);
    }

    /// <summary>A stream over <c>data</c> that gives at most a random few KiB per read.</summary>
    private sealed class ShortReads(byte[] data, int seed) : MemoryStream(data, writable: false)
    {
        private readonly Random _random = new(seed);

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, _random.Next(1, 70_000))]);
    }
}
