using System.Security.Cryptography;
using Backup.Core.Chunking;

namespace Backup.Core.Tests.Chunking;

public class FastCdcTests
{
    private static readonly byte[] s_key = "golden-vector-key-0123456789abcd"u8.ToArray();

    /// <summary>
    /// Golden vectors: the chunk lengths of 24 MiB of pseudo-random data under a fixed key. If this test fails, the
    /// chunker changed and existing repositories would stop deduplicating: bump FastCdc.Version instead of editing these.
    /// </summary>
    [Fact]
    public void Split_GoldenInput_GivesPinnedBoundaries()
    {
        var chunker = new FastCdc(s_key);

        var lengths = chunker.Split(new MemoryStream(Input(24 << 20, 1))).Select(c => c.Length).ToArray();

        Assert.Equal(GoldenLengths, lengths);
    }

    [Fact]
    public void Split_AnyInput_RespectsBoundsAndCoversAllBytes()
    {
        var chunker = new FastCdc(s_key);
        var data = Input(20 << 20, 2);

        var chunks = chunker.Split(new MemoryStream(data)).Select(c => c.ToArray()).ToList();

        Assert.Equal(data, chunks.SelectMany(c => c).ToArray());
        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, chunker.Parameters.MinSize + 1, chunker.Parameters.MaxSize));
    }

    [Fact]
    public void Split_InsertedBytes_LeavesLaterChunksUnchanged()
    {
        var chunker = new FastCdc(s_key);
        var data = Input(16 << 20, 3);
        var edited = data[..(3 << 20)].Concat("an inserted sentence"u8.ToArray()).Concat(data[(3 << 20)..]).ToArray();

        var before = Ids(chunker, data);
        var after = Ids(chunker, edited);

        Assert.True(before.Intersect(after).Count() >= before.Count - 2, $"{before.Intersect(after).Count()} of {before.Count} chunks kept");
    }

    [Fact]
    public void Split_OtherKey_GivesOtherBoundaries()
    {
        var data = Input(16 << 20, 4);

        var a = new FastCdc(s_key).Split(new MemoryStream(data)).Select(c => c.Length).ToArray();
        var b = new FastCdc("another key"u8).Split(new MemoryStream(data)).Select(c => c.Length).ToArray();

        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(512 * 1024)]
    public void Split_ShortInput_IsOneChunkOrNone(int length)
    {
        var chunks = new FastCdc(s_key).Split(new MemoryStream(new byte[length])).ToList();

        Assert.Equal(length == 0 ? 0 : 1, chunks.Count);
    }

    [Fact]
    public void Constructor_AverageNotPowerOfTwo_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastCdc(s_key, new ChunkerParameters { AverageSize = 1_000_000 }));
    }

    /// <summary>
    /// The streaming search (<see cref="FastCdc.Scan"/>) fed in pieces of any size finds the boundaries of the search over
    /// a whole maximum chunk: on random bytes, and on zeros, whose chunks end at the maximum size.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 4096)]
    [InlineData(3, 300_000)]
    [InlineData(4, 9_000_000)]
    public void Scan_FedInPiecesOfAnySize_FindsTheBoundariesOfSplit(int seed, int largestPiece)
    {
        var chunker = new FastCdc(s_key);
        var data = Input(14 << 20, (ulong)seed).Concat(new byte[18 << 20]).Concat(Input(3 << 20, (ulong)seed + 10)).ToArray();
        var expected = chunker.Split(new MemoryStream(data)).Select(c => c.Length).ToList();
        var pieces = new Random(seed);

        var lengths = new List<int>();
        var scan = default(ChunkScan);
        var chunkStart = 0;
        var position = 0;
        while (position < data.Length)
        {
            var piece = Math.Min(data.Length - position, pieces.Next(1, largestPiece + 1));
            var end = chunker.Scan(ref scan, data.AsSpan(position, piece));
            if (end >= 0)
            {
                position += end;
                lengths.Add(position - chunkStart);
                chunkStart = position;
                scan = default;
            }
            else
            {
                position += piece;
            }
        }
        if (position > chunkStart)
        {
            lengths.Add(position - chunkStart);
        }

        Assert.Equal(expected, lengths);
        Assert.Contains(chunker.Parameters.MaxSize, expected); // the zeros reach the forced boundary
    }

    private static HashSet<string> Ids(FastCdc chunker, byte[] data) =>
        chunker.Split(new MemoryStream(data)).Select(c => Convert.ToHexString(SHA256.HashData(c.Span))).ToHashSet();

    /// <summary>xorshift64* from a seed: the same bytes on every machine and .NET version (System.Random may change).</summary>
    private static byte[] Input(int length, ulong seed)
    {
        var data = new byte[length];
        var x = seed * 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < length; i += 8)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            var v = x * 0x2545F4914F6CDD1DUL;
            for (var k = 0; k < 8 && i + k < length; k++)
            {
                data[i + k] = (byte)(v >> (8 * k));
            }
        }
        return data;
    }

    private static readonly int[] GoldenLengths =
    [
        1195968, 1111111, 1133971, 1700504, 1247551, 1078933, 1331755, 1270035, 779747, 1488574, 1191200, 1406430, 1112685, 1475816, 1654369, 1572472, 1791967, 1233797, 1388939,
    ];
}
