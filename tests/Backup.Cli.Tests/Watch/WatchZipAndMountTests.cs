using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>The watch with a zip folder, and with a file system mounted inside a watched tree.</summary>
public sealed class WatchZipAndMountTests
{
    [Fact]
    public void Watch_ZipFolderKeepLastTwo_ChangeGetsAWholeNewArchiveAndOldOnesAreDeleted()
    {
        using var backup = new BackupProcess();
        backup.Variables["BACKUP_TEST_RETENTION_EVERY"] = "0";
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("d/b.txt", "beta");
        using var daemon = backup.Start("daemon", "--watch", "--quiet", "150ms", "--interval", "1h", "--keep-last", "2", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first archive", describe: () => daemon.Error);
        var first = ArchiveFolder.Zips(backup.Archive).Single();

        File.WriteAllText(Path.Join(src, "d", "c.txt"), "gamma");

        // Well before the hour of --interval: the event made the check.
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 2, "an archive of the change", TimeSpan.FromSeconds(20), () => daemon.Error);
        var newest = ArchiveFolder.Zips(backup.Archive).Order(StringComparer.Ordinal).Last();
        var test = Shell.Run("unzip", "-t", newest);
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Contains("d/c.txt", Shell.Run("unzip", "-l", newest).Output, StringComparison.Ordinal);

        // A third snapshot: the retention after it deletes the first archive and its row, and keeps the newest two.
        File.WriteAllText(Path.Join(src, "e.txt"), "epsilon");
        Poll.Until(() => !File.Exists(first) && ArchiveFolder.Zips(backup.Archive).Length == 2, "the first archive forgotten",
            TimeSpan.FromSeconds(20), () => daemon.Error + ArchiveFolder.Describe(backup.Archive));
        daemon.Signal("TERM");
        Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        var listed = backup.Run("snapshots", "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using (var json = System.Text.Json.JsonDocument.Parse(listed.Output))
        {
            Assert.Equal(2, json.RootElement.GetArrayLength());
        }
        Assert.Contains("forgot 1 zip snapshot", daemon.Error, StringComparison.Ordinal);
        Assert.All(ArchiveFolder.Zips(backup.Archive), ArchiveFolder.AssertValid);
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
