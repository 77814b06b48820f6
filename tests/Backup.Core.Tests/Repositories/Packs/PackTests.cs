using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Core.Tests.Repositories.Packs;

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

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x80000000u)]
    [InlineData(100u)]
    public void ReadHeader_HeaderLengthPastStart_ThrowsInvalidDataNamingPack(uint headerLength)
    {
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        var pack = new byte[64];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(pack.AsSpan(^4), headerLength);
        var name = Convert.ToHexStringLower(SHA256.HashData(pack));

        var e = Assert.Throws<InvalidDataException>(() => PackReader.ReadHeader(name, pack, cipher));

        Assert.Contains($"pack {name}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xFFFFFF00u, 0x200u, 10u)] // offset + length overflows 32 bits
    [InlineData(0u, 0x80000000u, 10u)]     // a length of 2 GiB
    [InlineData(0u, 40u, 0xFFFFFFFFu)]     // a raw length of 4 GiB
    [InlineData(0u, 40u, 16_000_000u)]     // more than 40 stored bytes of zstd can decode to
    public void ReadHeader_RecordOutOfBounds_ThrowsInvalidDataNamingPackAndBlob(uint offset, uint length, uint rawLength)
    {
        using var cipher = new BlobCipher(RandomNumberGenerator.GetBytes(32));
        var id = ChunkId.Compute(s_idKey, "x"u8);
        var record = new byte[PackEntry.EncodedSize];
        PackWriter.Encode(new PackEntry(BlobType.Data, id, offset, length, rawLength, CompressionId.Zstd), record);
        var header = cipher.Seal(BlobType.PackHeader, record);
        var pack = new byte[64 + header.Length + 4];
        header.CopyTo(pack, 64);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(pack.AsSpan(^4), (uint)header.Length);
        var name = Convert.ToHexStringLower(SHA256.HashData(pack));

        var e = Assert.Throws<InvalidDataException>(() => PackReader.ReadHeader(name, pack, cipher));

        Assert.Contains($"blob {id} in pack {name}", e.Message, StringComparison.Ordinal);
    }
}
