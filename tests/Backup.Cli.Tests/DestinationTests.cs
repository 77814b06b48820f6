using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>
/// The catalog remembers what each archive folder is: a repository that vanishes is an error, never a folder of
/// plaintext zips, and each path's last hash is kept per destination.
/// </summary>
public sealed class DestinationTests
{
    [Fact]
    public void Run_RepositoryConfigMovedAway_Exits10AndWritesNoZip()
    {
        using var world = RepositoryProcess.BackedUp();
        File.Move(Path.Join(world.Repo, "config"), world.Join("config.aside"));
        File.WriteAllText(world.Join("src", "b.txt"), "changed");

        var result = world.Run("run");

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains(world.Repo, result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(world.Root, "*.zip", SearchOption.AllDirectories));
        Assert.Single(world.Files("snapshots"));
    }

    [Fact]
    public void Run_RepositoryDiskNotMounted_Exits10AndLeavesTheMountPointEmpty()
    {
        using var world = RepositoryProcess.BackedUp();
        Directory.Move(world.Repo, world.Join("unmounted"));
        Directory.CreateDirectory(world.Repo); // the empty mount point
        File.WriteAllText(world.Join("src", "b.txt"), "changed");

        var result = world.Run("run");

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains("mount", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(world.Repo));
    }

    [Fact]
    public void Daemon_RepositoryVanishes_KeepsRunningAndWritesNoZip()
    {
        using var world = RepositoryProcess.BackedUp();
        File.Move(Path.Join(world.Repo, "config"), world.Join("config.aside"));
        File.WriteAllText(world.Join("src", "b.txt"), "changed");

        using var daemon = world.Start("daemon", "--interval", "1s");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Count(daemon.Error, "is missing") < 2 && !daemon.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }
        daemon.Signal("TERM");
        var exit = daemon.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.True(Count(daemon.Error, "is missing") >= 2, daemon.ToString()); // two checks: the daemon kept going
        Assert.Contains(world.Repo, daemon.Error, StringComparison.Ordinal);
        Assert.True(exit == 0, daemon.ToString());
        Assert.Empty(Directory.EnumerateFiles(world.Root, "*.zip", SearchOption.AllDirectories));
    }

    [Fact]
    public void Run_ZipFolderDiskNotMounted_Exits10AndWritesNothing()
    {
        using var backup = ZipBackedUp(out var src);
        Directory.Move(backup.Archive, backup.Join("unmounted"));
        Directory.CreateDirectory(backup.Archive); // the empty mount point
        File.WriteAllText(Path.Join(src, "b.txt"), "changed");

        var result = backup.Run("run");
        var listed = backup.Run("snapshots");

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains("mount", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(backup.Archive));
        Assert.Contains("cannot be found", listed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ArchiveFolderThroughASymlink_IsTheSameDestination()
    {
        using var world = RepositoryProcess.BackedUp();
        var link = world.Join("repolink");
        File.CreateSymbolicLink(link, world.Repo);
        Directory.Move(world.Repo, world.Join("unmounted"));
        Directory.CreateDirectory(world.Repo);
        File.WriteAllText(world.Join("src", "b.txt"), "changed");

        var result = world.Raw("run", "--archive", link);

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(world.Repo));
    }

    [Fact]
    public void Run_NewestZipDeletedByHand_NextRunWritesTheCurrentTreeAgain()
    {
        using var backup = ZipBackedUp(out var src);
        File.WriteAllText(Path.Join(src, "b.txt"), "b");
        Assert.Equal(0, backup.Run("run").ExitCode);
        File.Delete(ArchiveFolder.Zips(backup.Archive)[^1]);

        Assert.Equal(0, backup.Run("snapshots").ExitCode);
        var result = backup.Run("run");

        Assert.Contains("archived 1 of 1 directories", result.Output, StringComparison.Ordinal);
        Assert.Equal(2, ArchiveFolder.Zips(backup.Archive).Length);
    }

    [Fact]
    public void Run_FolderWithRepositoryKeysButNoConfig_NeverUsed_RefusesToWriteZips()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        Directory.CreateDirectory(Path.Join(backup.Archive, "keys"));
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var result = backup.Run("run");

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Empty(Directory.EnumerateFiles(backup.Archive, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Run_NewArchiveFolderForUnchangedPath_WritesAFirstSnapshotThere()
    {
        using var backup = ZipBackedUp(out _);
        var other = backup.Join("other-archive");

        var second = backup.Run("run", "--archive", other);
        var third = backup.Run("run", "--archive", other);
        var back = backup.Run("run");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("archived 1 of 1 directories", second.Output, StringComparison.Ordinal);
        ArchiveFolder.AssertValid(Assert.Single(ArchiveFolder.Zips(other)));
        Assert.Contains("archived 0 of 1 directories", third.Output, StringComparison.Ordinal);
        Assert.Contains("archived 0 of 1 directories", back.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshots_ZipDeletedByHand_IsDroppedAndRestoreOfItSaysSo()
    {
        using var backup = ZipBackedUp(out var src);
        File.WriteAllText(Path.Join(src, "b.txt"), "b");
        Assert.Equal(0, backup.Run("run").ExitCode);
        var zips = ArchiveFolder.Zips(backup.Archive);
        Assert.Equal(2, zips.Length);
        File.Delete(zips[0]);

        var restore = backup.Run("restore", "1", "--target", backup.Join("t"));
        var listed = backup.Run("snapshots");

        Assert.True(restore.ExitCode == 1, restore.ToString());
        Assert.Contains("no longer exists", restore.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(zips[0], listed.Output, StringComparison.Ordinal);
        Assert.Contains(zips[1], listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshots_ZipFolderNotMounted_KeepsItsRowsAndWarns()
    {
        using var backup = ZipBackedUp(out _);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        Directory.Move(backup.Archive, backup.Join("unmounted"));
        Directory.CreateDirectory(backup.Archive); // the empty mount point

        var listed = backup.Run("snapshots");
        Directory.Delete(backup.Archive);
        Directory.Move(backup.Join("unmounted"), backup.Archive);
        var again = backup.Run("snapshots");

        Assert.Contains("cannot be found", listed.Error, StringComparison.Ordinal);
        Assert.Contains(zip, listed.Output, StringComparison.Ordinal);
        Assert.Contains(zip, again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Forget_RemovedSnapshot_LeavesTheCatalog()
    {
        using var world = RepositoryProcess.BackedUp();
        File.WriteAllText(world.Join("src", "b.txt"), "changed");
        world.Expect(0, "run");

        world.Expect(0, "forget", "--keep-last", "1", "--prune");
        var first = world.Raw("restore", "1", "--target", world.Join("t1"));
        var second = world.Raw("restore", "2", "--target", world.Join("t2"));

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Contains("no snapshot '1' in catalog", first.Error, StringComparison.Ordinal); // forget dropped its row
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(File.Exists(world.Join("t2", "b.txt")));
    }

    /// <summary>A zip world whose <c>src/</c> (one file, a.txt) is watched and has one snapshot.</summary>
    private static BackupProcess ZipBackedUp(out string src)
    {
        var backup = new BackupProcess();
        src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        return backup;
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;
}
