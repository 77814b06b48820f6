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
}
