using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Tests.Repositories;

/// <summary>The binary index file: its exact layout, a round trip, and every framing error refused before anything is added.</summary>
public class RepositoryIndexBinaryTests
{
    private static readonly string s_pack1 = Convert.ToHexStringLower(SHA256.HashData("pack1"u8));
    private static readonly string s_pack2 = Convert.ToHexStringLower(SHA256.HashData("pack2"u8));

    [Fact]
    public void ToBinaryAddBinary_RoundTripsEveryLocation_InTheDocumentedLayout()
    {
        var index = new RepositoryIndex();
        var a = new PackEntry(BlobType.Data, Id("a"), 0, 100, 90, CompressionId.Zstd);
        var b = new PackEntry(BlobType.Tree, Id("b"), 100, 50, 50, CompressionId.None);
        var c = new PackEntry(BlobType.Data, Id("c"), 7, 8_388_637, 8_388_608, CompressionId.None);
        index.AddPack(s_pack1, [a, b]);
        index.AddPack(s_pack2, [c]);

        var file = index.ToBinary();
        var copy = new RepositoryIndex();
        copy.AddBinary(file);

        Assert.Equal(1 + 4 + (2 * (32 + 4)) + (3 * 46), file.Length);
        Assert.Equal(RepositoryIndex.BinaryFormat, file[0]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(1)));
        Assert.Equal(s_pack1, Convert.ToHexStringLower(file.AsSpan(5, 32)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(37)));
        Assert.Equal((byte)BlobType.Data, file[41]);
        Assert.Equal(3, copy.Count);
        Assert.Equal((s_pack1, a), copy.Find(a.Id));
        Assert.Equal((s_pack1, b), copy.Find(b.Id));
        Assert.Equal((s_pack2, c), copy.Find(c.Id));
        Assert.Equal(index.Packs, copy.Packs);
    }

    [Fact]
    public void ToBinary_OfNothing_IsFiveBytesAndReadsBackEmpty()
    {
        var file = new RepositoryIndex().ToBinary();
        var copy = new RepositoryIndex();

        copy.AddBinary(file);

        Assert.Equal([RepositoryIndex.BinaryFormat, 0, 0, 0, 0], file);
        Assert.Equal(0, copy.Count);
    }

    public static TheoryData<string> Damages => ["truncated record", "count too large", "huge pack count", "zero blobs", "trailing byte", "bad type", "bad compression", "wrong format byte", "empty"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void AddBinary_Damaged_ThrowsInvalidDataAndAddsNothing(string damage)
    {
        var index = new RepositoryIndex();
        index.AddPack(s_pack1, [new PackEntry(BlobType.Data, Id("a"), 0, 100, 90, CompressionId.Zstd)]);
        index.AddPack(s_pack2, [new PackEntry(BlobType.Data, Id("b"), 0, 100, 90, CompressionId.Zstd)]);
        var file = index.ToBinary();
        var recordOfPack2 = 5 + 36 + 46 + 36;
        file = damage switch
        {
            "truncated record" => file[..^1],
            "count too large" => Set(file, 5 + 36 + 46 + 32, uint.MaxValue),
            "huge pack count" => Set(file, 1, uint.MaxValue),
            "zero blobs" => Set(file, 5 + 32, 0),
            "trailing byte" => [.. file, 0],
            "bad type" => SetByte(file, recordOfPack2, 3),
            "bad compression" => SetByte(file, recordOfPack2 + 45, 2),
            "wrong format byte" => SetByte(file, 0, 1),
            _ => [],
        };
        var target = new RepositoryIndex();

        Assert.Throws<InvalidDataException>(() => target.AddBinary(file));
        Assert.Equal(0, target.Count);
        Assert.Empty(target.Packs);
    }

    private static byte[] Set(byte[] file, int at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), value);
        return file;
    }

    private static byte[] SetByte(byte[] file, int at, byte value)
    {
        file[at] = value;
        return file;
    }

    private static ChunkId Id(string s) => ChunkId.FromBytes(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
}
