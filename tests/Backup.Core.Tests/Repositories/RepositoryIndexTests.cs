using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Tests.Repositories;

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

    [Theory]
    [InlineData("{\"version\":2,\"packs\":[]}")]
    [InlineData("{\"version\":1,\"packs\":[{\"blobs\":[]}]}")]
    [InlineData("{\"version\":1,\"packs\":[{\"id\":\"p\",\"blobs\":[{\"id\":\"abc\"}]}]}")]
    [InlineData("{\"version\":1,\"packs\":[{\"id\":\"p\",\"blobs\":[{\"type\":1}]}]}")]
    [InlineData("{\"version\":1,\"packs\":[{\"id\":\"p\",\"blobs\":[{\"offset\":-1}]}]}")]
    [InlineData("{\"version\":1,\"packs\":[")]
    [InlineData("[]")]
    public void AddJson_NotAnIndex_ThrowsInvalidDataAndAddsNothing(string json)
    {
        var index = new RepositoryIndex();

        Assert.Throws<InvalidDataException>(() => index.AddJson(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void AddJson_UnknownFieldsAndAnyOrder_AreRead()
    {
        var id = Id("x");
        var json = $"{{\"packs\":[{{\"blobs\":[{{\"raw\":9,\"future\":[1,{{}}],\"compression\":1,\"length\":7,\"offset\":3,\"type\":2,\"id\":\"{id}\"}}],\"id\":\"pk\"}}],\"note\":\"x\",\"version\":1}}";
        var index = new RepositoryIndex();

        index.AddJson(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal(("pk", new PackEntry(BlobType.Tree, id, 3, 7, 9, Backup.Core.Compression.CompressionId.Zstd)), index.Find(id));
    }

    private static ChunkId Id(string s) => ChunkId.FromBytes(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
}
