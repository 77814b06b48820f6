using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>A whole-snapshot restore from a repository whose pack is damaged: every readable file comes back.</summary>
public sealed class RepositoryRestoreDamageTests
{
    [Fact]
    public void Restore_ByteFlippedInPack_RestoresEveryOtherFileNamesTheDamagedOnesAndExitsOne()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var tree = new TestTree(src);
        var names = Enumerable.Range(0, 6).Select(i => $"dir{i % 2}/file{i}.bin").ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            tree.File(names[i], TestTree.RandomBytes(1 << 20, 200 + i)); // incompressible: each file its own chunks
        }
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;
        var pack = world.Files("data").MaxBy(p => new FileInfo(p).Length)!;
        FlipByte(pack, new FileInfo(pack).Length / 2);
        var target = world.Join("target");

        var restore = world.Run("restore", id, "--target", target);

        Assert.True(restore.ExitCode == 1, restore.ToString());
        Assert.DoesNotContain("   at ", restore.Error, StringComparison.Ordinal);
        var damaged = names.Where(n => restore.Error.Contains($"could not restore {Path.Join(target, n)}: ", StringComparison.Ordinal)).ToList();
        Assert.True(damaged.Count > 0, $"the flipped byte lies in some file's chunk, which must be named\n{restore}");
        Assert.True(damaged.Count < names.Length, $"files with intact chunks must be restored\n{restore}");
        Assert.Contains("could not be read from the archive", restore.Error, StringComparison.Ordinal);
        foreach (var name in names)
        {
            var restored = Path.Join(target, name);
            if (damaged.Contains(name))
            {
                Assert.False(File.Exists(restored), $"{name} is damaged and must not be left half written");
            }
            else
            {
                Assert.True(TreeAssert.FilesEqual(Path.Join(src, name), restored), $"{name} was not restored whole\n{restore}");
            }
        }
    }

    private static void FlipByte(string path, long offset)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x01));
    }
}
