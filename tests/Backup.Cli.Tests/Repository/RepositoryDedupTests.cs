using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>Deduplication seen from outside: what a second run adds to the repository.</summary>
public sealed class RepositoryDedupTests
{
    [Fact]
    public void Run_CopyOfADirectoryInsideTheSource_AddsUnderOnePercent()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        SharedScripts.Python(SharedScripts.GenCorpus, src, "--size-mb", "5");
        // Incompressible data in the folder that gets copied, so that a copy stored again would show.
        var tree = new TestTree(src);
        for (var i = 0; i < 8; i++)
        {
            tree.File($"blobs/part{i}.bin", TestTree.RandomBytes(1 << 20, 40 + i));
        }
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var before = world.StoredBytes();
        var cp = Shell.Run("cp", "-a", Path.Join(src, "blobs"), Path.Join(src, "blobs-copy"));
        Assert.True(cp.ExitCode == 0, cp.ToString());

        world.Expect(0, "run");

        var growth = world.StoredBytes() - before;
        var second = world.Snapshots()[^1];
        Assert.True(growth < before / 100, $"the repository grew by {growth} bytes from {before} for a copy of 8 MiB it already holds");
        Assert.True(second.NewBytes < (8 << 20) / 100, $"new_bytes {second.NewBytes}");
        Assert.Equal(world.Snapshots()[0].Id, second.Parent);
    }

    [Fact]
    public void Run_AfterMutate_AddsRoughlyWhatChanged()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        SharedScripts.Python(SharedScripts.GenCorpus, src, "--size-mb", "30");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var first = Assert.Single(world.Snapshots());
        var before = world.StoredBytes();
        // Edits 1% of the files in place, adds 20 random files of 512 KiB (10 MiB), deletes 20, renames a folder.
        SharedScripts.Python(SharedScripts.Mutate, src, "--seed", "7");
        var copy = RepositoryDamageTests.Copy(world, src);

        world.Expect(0, "run");

        var second = world.Snapshots()[^1];
        const long Added = 20 * 512 * 1024;
        var growth = world.StoredBytes() - before;
        // The new files are random, so they are stored at about their size; an edited file costs at most its chunks
        // around the edit (a file of the corpus is mostly under one chunk), and trees a little.
        Assert.InRange(second.NewBytes, Added * 95 / 100, Added + first.Bytes / 10);
        Assert.InRange(growth, Added * 95 / 100, Added + first.Bytes / 10);
        TreeAssert.Identical(copy, world.Restore(second.Id));
    }
}
