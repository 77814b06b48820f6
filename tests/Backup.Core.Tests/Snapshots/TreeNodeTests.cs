using System.Text;
using System.Text.Json;
using Backup.Core.Posix;
using Backup.Core.Snapshots;

namespace Backup.Core.Tests.Snapshots;

public class TreeNodeTests
{
    // The bytes version 1 wrote before user, group, links and xattrs existed (checked against that code): a node without
    // them must keep them, or every tree of an unchanged directory would get a new id and stop deduplicating. A file's
    // null target is written "" by System.Text.Json's generated fast path; that is part of the format now.
    private const string FileBefore =
        """{"name":"YS50eHQ=","type":"file","mode":33188,"uid":1000,"gid":100,"mtime":1700000000123456789,"ctime":1700000000987654321,"size":3,"inode":42,"device":2049,"target":"","content":["00ff"],"subtree":null}""";

    private const string DirBefore =
        """{"name":"ZA==","type":"dir","mode":16877,"uid":0,"gid":0,"mtime":5,"ctime":6,"size":0,"inode":7,"device":8,"target":"","content":null,"subtree":"abcd"}""";

    private static TreeNode File() => new()
    {
        Name = "a.txt"u8.ToArray(),
        Type = "file",
        Mode = 0x81A4,
        Uid = 1000,
        Gid = 100,
        MtimeNs = 1700000000123456789,
        CtimeNs = 1700000000987654321,
        Size = 3,
        Inode = 42,
        Device = 2049,
        Content = ["00ff"],
    };

    [Fact]
    public void Serialize_NoNewFields_SameBytesAsBefore()
    {
        var dir = new TreeNode { Name = "d"u8.ToArray(), Type = "dir", Mode = 0x41ED, MtimeNs = 5, CtimeNs = 6, Inode = 7, Device = 8, Subtree = "abcd" };

        Assert.Equal(FileBefore, Json(File()));
        Assert.Equal(DirBefore, Json(dir));
    }

    [Fact]
    public void Serialize_EmptyOrDefaultNewFields_LeftOut()
    {
        var node = File() with { User = null, Group = null, Links = 0, Xattrs = null };

        Assert.Equal(FileBefore, Json(node));
    }

    [Fact]
    public void Serialize_NewFields_WrittenInDocumentedPlaces()
    {
        var node = File() with
        {
            User = "me",
            Group = "users",
            Links = 2,
            Xattrs = TreeNode.EncodeXattrs([new Xattr("user.a"u8.ToArray(), [0, 0xFF]), new Xattr("user.b"u8.ToArray(), [])]),
        };

        var json = Json(node);

        Assert.Equal(
            """{"name":"YS50eHQ=","type":"file","mode":33188,"uid":1000,"gid":100,"user":"me","group":"users","mtime":1700000000123456789,"ctime":1700000000987654321,"size":3,"inode":42,"device":2049,"links":2,"target":"","xattrs":[["dXNlci5h","AP8="],["dXNlci5i",""]],"content":["00ff"],"subtree":null}""",
            json);
    }

    [Fact]
    public void Deserialize_NewFields_RoundTrip()
    {
        var node = File() with
        {
            Name = [0x63, 0x61, 0x66, 0xE9],
            User = "me",
            Links = 3,
            Xattrs = TreeNode.EncodeXattrs([new Xattr([0x75, 0x73, 0x65, 0x72, 0x2E, 0xFF], Encoding.UTF8.GetBytes("value"))]),
        };

        var back = Parse(Json(node));

        Assert.Equal(node.Name, back.Name);
        Assert.Equal("me", back.User);
        Assert.Null(back.Group);
        Assert.Equal(3u, back.Links);
        var xattr = Assert.Single(back.DecodeXattrs());
        Assert.Equal([0x75, 0x73, 0x65, 0x72, 0x2E, 0xFF], xattr.Name);
        Assert.Equal("value"u8.ToArray(), xattr.Value);
    }

    [Fact]
    public void Deserialize_OldNode_NewFieldsEmpty()
    {
        var node = Parse(FileBefore);

        Assert.Null(node.User);
        Assert.Null(node.Group);
        Assert.Equal(0u, node.Links);
        Assert.Null(node.Xattrs);
        Assert.Empty(node.DecodeXattrs());
        Assert.Equal(["00ff"], node.Content);
    }

    [Theory]
    [InlineData("""[["dXNlci5h"]]""")]
    [InlineData("""[["dXNlci5h","AP8=","eA=="]]""")]
    public void DecodeXattrs_NotAPair_ThrowsInvalidData(string xattrs)
    {
        var node = Parse(FileBefore[..^1] + ""","xattrs":""" + xattrs + "}");

        Assert.Throws<InvalidDataException>(() => node.DecodeXattrs());
    }

    [Fact]
    public void EncodeXattrs_None_LeavesTheFieldOut()
    {
        Assert.Null(TreeNode.EncodeXattrs([]));
    }

    private static string Json(TreeNode node)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new TreeObject { Nodes = [node] }, SnapshotJson.Default.TreeObject);
        var text = Encoding.UTF8.GetString(bytes);
        const string prefix = """{"version":1,"nodes":[""";
        Assert.StartsWith(prefix, text, StringComparison.Ordinal);
        return text[prefix.Length..^2];
    }

    private static TreeNode Parse(string nodeJson) =>
        Assert.Single(JsonSerializer.Deserialize("""{"version":1,"nodes":[""" + nodeJson + "]}", SnapshotJson.Default.TreeObject)!.Nodes);
}
