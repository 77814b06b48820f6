using System.Globalization;
using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests;

public sealed class DaemonCommandTests
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void Daemon_TreeChangesBetweenChecks_ArchivesEachChangeAndStopsOnSigterm()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "first");

        using var daemon = backup.Start("daemon", "--interval", "1s", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first snapshot", describe: daemon.ToString);
        File.WriteAllText(Path.Join(src, "b.txt"), "second");
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 2, "a snapshot of the change", describe: daemon.ToString);
        daemon.Signal("TERM");
        var exit = daemon.WaitForExit(StopDeadline);

        Assert.True(exit == 0, daemon.ToString());
        Assert.Contains($"+ {src}", daemon.Output, StringComparison.Ordinal);
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
        var zips = ArchiveFolder.Zips(backup.Archive);
        Assert.Equal(2, zips.Length);
        foreach (var zip in zips)
        {
            ArchiveFolder.AssertValid(zip);
        }
        var restored = backup.Join("restored");
        Assert.Equal(0, backup.Run("restore", zips[^1], "--target", restored).ExitCode);
        TreeAssert.Identical(src, restored);
    }

    [Fact]
    public void Daemon_SigintWhileIdle_ExitsZero()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");

        using var daemon = backup.Start("daemon", "--interval", "1h", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first snapshot", describe: daemon.ToString);
        daemon.Signal("INT");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
    }

    [Fact]
    public void Daemon_SigtermDuringArchive_ExitsZeroAndLeavesNoArchive()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("slow");
        using (var stream = new FileStream(Path.Join(src, "zeros.bin"), FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(16L << 30); // holes: seconds of reading and compressing, no disk
        }

        using var daemon = backup.Start("daemon", "--interval", "1h", src);
        Poll.Until(() => ArchiveFolder.Partials(backup.Archive).Length > 0 || daemon.HasExited,
            "a partial archive to appear", describe: daemon.ToString);
        Assert.False(daemon.HasExited, daemon.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
        Assert.Empty(ArchiveFolder.Zips(backup.Archive));
        Assert.Equal("[]", backup.Run("snapshots", "--json").Output.Trim());
    }

    [Fact]
    public void Daemon_SecondOnSameCatalog_ExitsOneNamingTheFirstPid()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        using var first = backup.Start("daemon", "--interval", "1h", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first daemon's snapshot", describe: first.ToString);

        var second = backup.Run("daemon", "--interval", "1s");

        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains(first.Pid.ToString(CultureInfo.InvariantCulture), second.Error, StringComparison.Ordinal);
        Assert.Contains("already running", second.Error, StringComparison.Ordinal);
        Assert.False(first.HasExited, first.ToString());
        first.Signal("TERM");
        Assert.Equal(0, first.WaitForExit(StopDeadline));
    }

    [Fact]
    public void Daemon_WatchedDirectoryDeleted_KeepsRunningAndArchivesTheOther()
    {
        using var backup = new BackupProcess();
        var gone = backup.Dir("gone");
        var kept = backup.Dir("kept");
        new TestTree(gone).File("g.txt", "g");
        new TestTree(kept).File("k.txt", "k");
        using var daemon = backup.Start("daemon", "--interval", "1s", gone, kept);
        Poll.Until(() => RunCommandTests.ZipsOf(backup, gone).Length == 1 && RunCommandTests.ZipsOf(backup, kept).Length == 1,
            "the first snapshots", describe: daemon.ToString);

        Directory.Delete(gone, recursive: true);
        Poll.Until(() => daemon.Error.Contains(gone, StringComparison.Ordinal) && daemon.Error.Contains("does not exist", StringComparison.Ordinal),
            "the daemon to report the deleted directory", describe: daemon.ToString);
        File.WriteAllText(Path.Join(kept, "k2.txt"), "changed");
        Poll.Until(() => RunCommandTests.ZipsOf(backup, kept).Length == 2, "a snapshot of the other directory", describe: daemon.ToString);

        Assert.False(daemon.HasExited, daemon.ToString());
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Single(RunCommandTests.ZipsOf(backup, gone));
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
    }

    [Fact]
    public void Run_WhileDaemonActive_EveryZipValidAndOneRowPerZip()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", TestTree.Text(200_000, 1));
        using var daemon = backup.Start("daemon", "--interval", "1s", src);
        Poll.Until(() => ArchiveFolder.Zips(backup.Archive).Length >= 1, "the first snapshot", describe: daemon.ToString);

        for (var i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Join(src, $"change{i}.txt"), TestTree.Text(100_000, i + 10));
            var run = backup.Run("run");
            Assert.True(run.ExitCode == 0, run.ToString());
        }
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());

        var zips = ArchiveFolder.Zips(backup.Archive);
        foreach (var zip in zips)
        {
            ArchiveFolder.AssertValid(zip);
        }
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
        var snapshots = backup.Run("snapshots", "--json");
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        using var json = JsonDocument.Parse(snapshots.Output);
        var archives = json.RootElement.EnumerateArray().Select(s => s.GetProperty("archive").GetString()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(zips, archives);
        var restored = backup.Join("restored");
        Assert.Equal(0, backup.Run("restore", zips[^1], "--target", restored).ExitCode);
        TreeAssert.Identical(src, restored);
    }
}
