using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// Someone who can write the repository folder plants names and links in it, hoping that root's prune, unlock or run
/// deletes, reads or hangs on something outside it.
/// </summary>
public sealed class RepositoryStoreAttackTests
{
    [Fact]
    public void Prune_PlantedNamesAndSymlinkedPackFolders_DeletesNothingOutside()
    {
        using var world = RepositoryProcess.BackedUp();
        var victim = Victim(world);
        Directory.CreateDirectory(Path.Join(world.Repo, "data", "zz"));
        File.WriteAllText(Path.Join(world.Repo, "data", "zz", "passwd"), "");
        File.CreateSymbolicLink(Path.Join(world.Repo, "data", "pa"), victim);

        world.Expect(0, "prune");

        Assert.True(File.Exists(Path.Join(victim, "passwd")));
        Assert.Single(world.Snapshots());
        world.Expect(0, "check", "--read-data");
    }

    [Fact]
    public void Unlock_LocksFolderSwappedForSymlink_RefusesAndDeletesNothingOutside()
    {
        using var world = RepositoryProcess.BackedUp();
        var victim = Victim(world);
        var old = DateTime.UtcNow.AddHours(-2);
        File.SetLastWriteTimeUtc(Path.Join(victim, "passwd"), old);
        var locks = Path.Join(world.Repo, "locks");
        if (Directory.Exists(locks))
        {
            Directory.Delete(locks, recursive: true);
        }
        File.CreateSymbolicLink(locks, victim);

        var result = world.Run("unlock");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("symlink", result.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(victim, "passwd")));
    }

    [Fact]
    public void RunAndSnapshots_FifoAndHugeFileInLocksAndSnapshots_CompleteWithoutHanging()
    {
        using var world = RepositoryProcess.BackedUp();
        var fifo = Shell.Run("mkfifo", Path.Join(world.Repo, "locks", new string('0', 64)));
        Assert.True(fifo.ExitCode == 0, fifo.ToString());
        var huge = Path.Join(world.Repo, "snapshots", new string('a', 64));
        using (var file = File.Create(huge))
        {
            file.SetLength(3L << 30); // sparse: 3 GiB claimed, nothing stored
        }
        File.WriteAllText(world.Join("src", "b.txt"), "changed");

        var run = world.Run("run");
        var listed = world.Run("snapshots");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(new string('a', 8), listed.Error, StringComparison.Ordinal);
        Assert.Equal(2, world.Snapshots().Count);
    }

    /// <summary>A root-owned folder outside the repository holding a file named like a target.</summary>
    private static string Victim(RepositoryProcess world)
    {
        var victim = world.Dir("victim");
        File.WriteAllText(Path.Join(victim, "passwd"), "root:x:0:0");
        return victim;
    }
}
