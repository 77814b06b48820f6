using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>restore --json</c>: one object saying where, from which snapshot, and how much was restored.</summary>
public sealed class RestoreJsonTests
{
    [Fact]
    public void RestoreJson_RepositorySnapshot_OneObjectWithCountsAndTheSnapshotId()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("d/b.txt", "beta!").Link("l", "a.txt");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;
        var target = world.Join("out");

        var restore = world.Expect(0, "restore", id[..8], "--target", target, "--json");

        var json = JsonLinesOutput.Single(restore.Output);
        Assert.Equal(target, json.GetProperty("target").GetString());
        Assert.Equal(id, json.GetProperty("snapshot").GetString());
        Assert.Equal(2, json.GetProperty("files").GetInt64());
        Assert.Equal(1, json.GetProperty("symlinks").GetInt64());
        Assert.True(json.GetProperty("directories").GetInt64() >= 1);
        Assert.Equal(10, json.GetProperty("bytes").GetInt64());
        Assert.Equal(0, json.GetProperty("failures").GetArrayLength());
        Assert.Equal("beta!", File.ReadAllText(Path.Join(target, "d", "b.txt")));
    }

    [Fact]
    public void RestoreJson_ZipSnapshot_NamesTheArchive()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "abc");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        var target = backup.Join("out");

        var restore = backup.Run("restore", "1", "--target", target, "--json");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        var json = JsonLinesOutput.Single(restore.Output);
        Assert.Equal(zip, json.GetProperty("archive").GetString());
        Assert.Equal(1, json.GetProperty("files").GetInt64());
        Assert.Equal(3, json.GetProperty("bytes").GetInt64());
    }
}
