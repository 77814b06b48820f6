using Backup.Core.Compression;
using Backup.Testing;

namespace Backup.Core.Tests.Compression;

public class ZstdCodecTests
{
    [Fact]
    public void CompressDecompress_Text_RoundTripsSmaller()
    {
        using var codec = new ZstdCodec();
        var text = TestTree.Text(1 << 20, 1);

        var (id, bytes) = codec.Compress(text);

        Assert.Equal(CompressionId.Zstd, id);
        Assert.True(bytes.Length < text.Length / 2, $"{bytes.Length} bytes");
        Assert.Equal(text, codec.Decompress(id, bytes, text.Length));
    }

    [Fact]
    public void Compress_RandomData_IsStoredRaw()
    {
        using var codec = new ZstdCodec();
        var random = TestTree.RandomBytes(1 << 20, 2);

        var (id, bytes) = codec.Compress(random);

        Assert.Equal(CompressionId.None, id);
        Assert.Equal(random, bytes);
    }

    [Fact]
    public void Decompress_Corrupt_ThrowsInvalidData()
    {
        using var codec = new ZstdCodec();
        var (id, bytes) = codec.Compress(TestTree.Text(100_000, 3));
        bytes[bytes.Length / 2] ^= 0xFF;

        Assert.Throws<InvalidDataException>(() => codec.Decompress(id, bytes, 100_000));
    }

    [Theory]
    [InlineData(CompressionId.Zstd, int.MaxValue)]
    [InlineData(CompressionId.Zstd, 100 * ZstdCodec.MaxRatio + 1)]
    [InlineData(CompressionId.None, 1 << 30)]
    public void Decompress_LengthMoreThanTheDataCanHold_ThrowsInvalidDataBeforeAllocating(CompressionId id, int expectedLength)
    {
        using var codec = new ZstdCodec();
        var stored = new byte[100];

        var e = Assert.Throws<InvalidDataException>(() => codec.Decompress(id, stored, expectedLength));

        Assert.Contains("cannot hold", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decompress_ZerosAtTheHighestLevel_StayWithinMaxRatio()
    {
        using var codec = new ZstdCodec(19);
        var zeros = new byte[64 << 20];
        var (id, stored) = codec.Compress(zeros);

        Assert.Equal(CompressionId.Zstd, id);
        Assert.True((long)stored.Length * ZstdCodec.MaxRatio >= zeros.Length, $"{stored.Length} bytes hold {zeros.Length}");
        Assert.Equal(zeros, codec.Decompress(id, stored, zeros.Length));
    }
}
