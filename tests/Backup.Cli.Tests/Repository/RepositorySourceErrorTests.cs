using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>Source files that cannot be read: left out of the snapshot, counted and reported once each.</summary>
public class RepositorySourceErrorTests
{
    [Fact]
    public void Run_FiveUnreadableFilesAndOneReadable_SnapshotCountsOneFileAndWarnsOncePerFile()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var tree = new TestTree(src).File("readable.txt", "readable");
        for (var i = 0; i < 5; i++)
        {
            tree.File($"locked{i}.txt", $"secret number {i}");
        }
        world.Init();
        world.RunAsNobody();
        for (var i = 0; i < 5; i++)
        {
            File.SetUnixFileMode(Path.Join(src, $"locked{i}.txt"), UnixFileMode.None);
        }
        world.Add(src);

        var run = world.Expect(3, "run");

        var snapshot = Assert.Single(world.Snapshots());
        Assert.Equal(1, snapshot.Files);
        Assert.Equal("readable".Length, snapshot.Bytes);
        Assert.False(snapshot.Complete);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(Regex.Count(run.Error, $"locked{i}\\.txt") == 1, $"locked{i}.txt must be reported once:\n{run}");
        }
        var restored = world.Restore(snapshot.Id);
        Assert.Equal(["readable.txt"], Directory.EnumerateFileSystemEntries(restored).Select(Path.GetFileName));
    }
}
