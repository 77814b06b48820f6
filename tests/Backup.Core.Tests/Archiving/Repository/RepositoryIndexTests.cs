using System.Security.Cryptography;
using Backup.Core.Archiving.Repository;
using Backup.Core.Compression;
using Backup.Core.Encryption;

namespace Backup.Core.Tests.Archiving.Repository;

public class RepositoryIndexTests
{
    [Fact]
    public void ToJsonAddJson_RoundTripsEveryLocation()
    {
        var index = new RepositoryIndex();
        var a = Id("a");
        var b = Id("b");
        index.AddPack("pack1", [new PackEntry(BlobType.Data, a, 0, 100, 90, CompressionId.Zstd)]);
        index.AddPack("pack2", [new PackEntry(BlobType.Tree, b, 7, 50, 50, CompressionId.None)]);

        var copy = new RepositoryIndex();
        copy.AddJson(index.ToJson());

        Assert.Equal(2, copy.Count);
        Assert.Equal(index.Find(a), copy.Find(a));
        Assert.Equal(("pack2", new PackEntry(BlobType.Tree, b, 7, 50, 50, CompressionId.None)), copy.Find(b));
        Assert.Null(copy.Find(Id("c")));
    }

    [Fact]
    public void AddPack_DuplicateChunk_KeepsFirstLocation()
    {
        var index = new RepositoryIndex();
        index.AddPack("p1", [new PackEntry(BlobType.Data, Id("x"), 0, 10, 10, CompressionId.None)]);
        index.AddPack("p2", [new PackEntry(BlobType.Data, Id("x"), 5, 10, 10, CompressionId.None)]);

        Assert.Equal("p1", index.Find(Id("x"))!.Value.Pack);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void AddJson_Garbage_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => new RepositoryIndex().AddJson("{not json"u8));
    }

    private static ChunkId Id(string s) => ChunkId.FromBytes(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
}
