using System.Security.Cryptography;
using Backup.Core.Archiving.Repository;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Repository;

public class PackTests
{
    private static readonly byte[] s_idKey = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task WriteThenRead_HeaderAndBlobsRoundTrip()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        using var writer = new PackWriter(cipher, store);
        byte[][] blobs = ["first chunk"u8.ToArray(), "second, longer chunk"u8.ToArray()];
        foreach (var blob in blobs)
        {
            writer.Add(BlobType.Data, ChunkId.Compute(s_idKey, blob), CompressionId.None, blob, blob.Length);
        }

        var name = await writer.FinishAsync(CancellationToken.None);
        var bytes = await store.ReadAsync(BlobKind.Pack, name, CancellationToken.None);
        var header = PackReader.ReadHeader(name, bytes, cipher);

        Assert.Equal(name, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal([name[..2]], Directory.GetDirectories(temp.Join("data")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(temp.Join("data"), ".*", SearchOption.AllDirectories));
        Assert.Equal(writer.Entries, header);
        for (var i = 0; i < blobs.Length; i++)
        {
            var e = header[i];
            Assert.Equal(ChunkId.Compute(s_idKey, blobs[i]), e.Id);
            Assert.Equal(blobs[i], PackReader.OpenBlob(e, bytes.AsSpan((int)e.Offset, (int)e.Length), cipher));
        }
    }

    [Fact]
    public async Task ReadHeader_FlippedByte_NamesThePack()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        using var writer = new PackWriter(cipher, store);
        writer.Add(BlobType.Data, ChunkId.Compute(s_idKey, "x"u8), CompressionId.None, "x"u8, 1);
        var name = await writer.FinishAsync(CancellationToken.None);
        var bytes = await store.ReadAsync(BlobKind.Pack, name, CancellationToken.None);
        bytes[3] ^= 1;

        var e = Assert.Throws<InvalidDataException>(() => PackReader.ReadHeader(name, bytes, cipher));

        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_Unfinished_LeavesNothing()
    {
        using var temp = new TempDirectory();
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        using (var writer = new PackWriter(cipher, new LocalBlobStore(temp.Path)))
        {
            writer.Add(BlobType.Data, ChunkId.Compute(s_idKey, "x"u8), CompressionId.None, "x"u8, 1);
            Assert.Single(Directory.GetFiles(temp.Join("data"), ".*"));
        }

        Assert.Empty(Directory.GetFiles(temp.Join("data"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void ChunkId_HexRoundTrip()
    {
        var id = ChunkId.Compute(s_idKey, "content"u8);

        Assert.Equal(id, ChunkId.Parse(id.ToString()));
        Assert.Equal(64, id.ToString().Length);
    }
}
