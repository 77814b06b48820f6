using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>The watch with a zip folder, and with a file system mounted inside a watched tree.</summary>
public sealed class WatchZipAndMountTests
{
    [Fact]
    public void Watch_ZipFolder_ChangeGetsAWholeNewArchive()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("d/b.txt", "beta");
        using var daemon = backup.Start("daemon", "--watch", "--quiet", "150ms", "--interval", "1h", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first archive", describe: () => daemon.Error);

        File.WriteAllText(Path.Join(src, "d", "c.txt"), "gamma");

        // Well before the hour of --interval: the event made the check.
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 2, "an archive of the change", TimeSpan.FromSeconds(20), () => daemon.Error);
        var newest = ArchiveFolder.Zips(backup.Archive).Order(StringComparer.Ordinal).Last();
        var test = Shell.Run("unzip", "-t", newest);
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Contains("d/c.txt", Shell.Run("unzip", "-l", newest).Output, StringComparison.Ordinal);
        daemon.Signal("TERM");
        Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Watch_FileSystemMountedInside_IsListedAnewAndWatched()
    {
        using var w = new WatchWorld(t => t.File("mnt/under.txt", "hidden by the mount").File("other.txt", "x"));
        var mountPoint = Path.Join(w.Source, "mnt");
        var beforeMount = DateTimeOffset.UtcNow;
        var mount = Shell.Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint);
        Assert.True(mount.ExitCode == 0, mount.ToString());
        DateTimeOffset beforeUnmount;
        try
        {
            // No inotify event says a mount happened: the mount table does.
            w.CatchUp("the mount", beforeMount);
            w.AssertSnapshotIsTree("a tmpfs mounted inside the tree");
            File.WriteAllText(Path.Join(mountPoint, "on-tmpfs.txt"), "on the mounted file system");
            w.CatchUp("a file written on the mounted file system");
            w.AssertSnapshotIsTree("a file written on the mounted file system");
        }
        finally
        {
            beforeUnmount = DateTimeOffset.UtcNow;
            Shell.Run("umount", "-l", mountPoint);
        }
        w.CatchUp("the unmount", beforeUnmount);
        w.AssertSnapshotIsTree("the tree after the unmount");
        w.Stop();
    }
}
