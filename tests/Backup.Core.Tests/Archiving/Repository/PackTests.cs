using System.Security.Cryptography;
using Backup.Core.Archiving.Repository;
using Backup.Core.Compression;
using Backup.Core.Encryption;

namespace Backup.Core.Tests.Archiving.Repository;

public class PackTests
{
    private static readonly byte[] s_idKey = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void WriteThenRead_HeaderAndBlobsRoundTrip()
    {
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        using var writer = new PackWriter(cipher);
        byte[][] blobs = ["first chunk"u8.ToArray(), "second, longer chunk"u8.ToArray()];
        foreach (var blob in blobs)
        {
            writer.Add(BlobType.Data, ChunkId.Compute(s_idKey, blob), CompressionId.None, blob, blob.Length);
        }

        var (name, finished) = writer.Finish();
        var bytes = finished.ToArray();
        var header = PackReader.ReadHeader(name, bytes, cipher);

        Assert.Equal(writer.Entries, header);
        for (var i = 0; i < blobs.Length; i++)
        {
            var e = header[i];
            Assert.Equal(ChunkId.Compute(s_idKey, blobs[i]), e.Id);
            Assert.Equal(blobs[i], PackReader.OpenBlob(e, bytes.AsSpan((int)e.Offset, (int)e.Length), cipher));
        }
    }

    [Fact]
    public void ReadHeader_FlippedByte_NamesThePack()
    {
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        using var writer = new PackWriter(cipher);
        writer.Add(BlobType.Data, ChunkId.Compute(s_idKey, "x"u8), CompressionId.None, "x"u8, 1);
        var (name, finished) = writer.Finish();
        var bytes = finished.ToArray();
        bytes[3] ^= 1;

        var e = Assert.Throws<InvalidDataException>(() => PackReader.ReadHeader(name, bytes, cipher));

        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChunkId_HexRoundTrip()
    {
        var id = ChunkId.Compute(s_idKey, "content"u8);

        Assert.Equal(id, ChunkId.Parse(id.ToString()));
        Assert.Equal(64, id.ToString().Length);
    }
}
