using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>Backing up into a repository and restoring from it through the real executable.</summary>
public sealed class RepositoryRoundTripTests
{
    [Fact]
    public void RunThenRestore_GeneratedCorpus_RestoresIdentical()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("corpus");
        SharedScripts.Python(SharedScripts.GenCorpus, src, "--size-mb", "5");
        world.Init();
        world.Add(src);

        world.Expect(0, "run");

        var snapshot = Assert.Single(world.Snapshots());
        Assert.True(snapshot.Complete);
        Assert.Equal(src, snapshot.Path);
        var target = world.Restore(snapshot.Id);
        var diff = Shell.Run("diff", "-r", "--no-dereference", src, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        TreeAssert.Identical(src, target);
    }

    [Fact]
    public void Run_CacheInsideTheTree_LeavesTheCacheOut()
    {
        // A watched home holds the cache of remote repositories: backing it up would make every snapshot change the
        // tree it snapshots (a watch would follow its own writes for ever).
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File(".cache/backup/objects/x", "cached").File(".cache/other/y", "kept");
        world.Variables["XDG_CACHE_HOME"] = Path.Join(src, ".cache");
        world.Init();
        world.Add(src);

        world.Expect(0, "run");

        var target = world.Restore(world.Snapshots()[^1].Id);
        Assert.True(File.Exists(Path.Join(target, ".cache", "other", "y")));
        Assert.False(Directory.Exists(Path.Join(target, ".cache", "backup")));
    }

    [Fact]
    public void Init_NonEmptyFolder_RefusesAndLeavesItAlone()
    {
        using var world = new RepositoryProcess();
        new TestTree(world.Repo).File("precious.txt", "mine");

        var init = world.Expect(1, "init");

        Assert.Contains("it is not empty", init.Error, StringComparison.Ordinal);
        Assert.Equal(["precious.txt"], Directory.EnumerateFileSystemEntries(world.Repo).Select(Path.GetFileName));
    }

    [Fact]
    public void Init_Twice_RefusesTheSecond()
    {
        using var world = new RepositoryProcess();
        world.Init();

        var again = world.Expect(1, "init");

        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CatalogDeleted_SnapshotsLsRestoreCheck_StillWork()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("a.txt", "alpha").File("dir/b.bin", TestTree.RandomBytes(300_000, 1)).Link("dir/link", "../a.txt").Dir("empty");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(world.Catalog)!, Path.GetFileName(world.Catalog) + "*"))
        {
            File.Delete(file);
        }
        Assert.False(File.Exists(world.Catalog));

        var snapshot = Assert.Single(world.Snapshots());
        var ls = world.Expect(0, "ls", snapshot.Id[..8]);
        var restored = world.Restore(snapshot.Id[..10]);
        var check = world.Expect(0, "check", "--read-data");

        Assert.Contains("dir/b.bin", ls.Output, StringComparison.Ordinal);
        Assert.Contains("a.txt", ls.Output, StringComparison.Ordinal);
        TreeAssert.Identical(src, restored);
        Assert.Contains("no errors", check.Output, StringComparison.Ordinal);
    }
}
