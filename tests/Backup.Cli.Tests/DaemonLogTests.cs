using System.Text.RegularExpressions;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>
/// What the daemon's log looks like to its user: a time, a level and the message (no logger category or event id),
/// sizes as <c>run</c> prints them, and counts in the singular when there is one.
/// </summary>
public sealed class DaemonLogTests
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void Daemon_OneCheck_LogsTimeLevelAndMessageWithSizeAndSingularCounts()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", TestTree.RandomBytes(3 * 1024 * 1024 / 2, 1));

        using var daemon = backup.Start("daemon", "--interval", "1h", src);
        Poll.Until(() => daemon.Error.Contains("archived 1 of 1 directories", StringComparison.Ordinal), "the first check", describe: daemon.ToString);
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());

        var lines = daemon.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (info|warn|fail): [^ ]", line));
        Assert.DoesNotContain("Backup.Core", daemon.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("[0]", daemon.Error, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.EndsWith(" info: checking", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, $@" info: {Regex.Escape(src)}: snapshot 1, archived 1 file, 1\.5 MiB to /"));
        Assert.Contains(lines, l => l.EndsWith(" info: stopping after 1 check", StringComparison.Ordinal));
        Assert.DoesNotContain(" bytes", daemon.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Daemon_UnchangedCheck_SaysOneDirectory()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "alpha");

        using var daemon = backup.Start("daemon", "--interval", "1s", src);
        Poll.Until(() => daemon.Error.Contains("no changes in 1 directory\n", StringComparison.Ordinal), "a check that finds no change", describe: daemon.ToString);
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());

        Assert.DoesNotContain("1 directories", daemon.Error.Replace("1 of 1 directories", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Matches(@"info: stopping after [2-9]\d* checks\n", daemon.Error);
    }

    [Fact]
    public void DaemonWatch_Repository_LogsSnapshotWithSizeAndNoCategory()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", TestTree.RandomBytes(2048, 2));
        world.Add(src);

        using var daemon = world.Start("daemon", "--watch", "--quiet", "150ms", "--no-forget");
        Poll.Until(() => daemon.Error.Contains(": snapshot ", StringComparison.Ordinal), "the first snapshot", describe: daemon.ToString);
        File.WriteAllText(Path.Join(src, "b.txt"), "beta");
        Poll.Until(() => Regex.IsMatch(daemon.Error, "listed 1 directory, reused 0 subtrees"), "a snapshot of the change", TimeSpan.FromSeconds(30), daemon.ToString);
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());

        Assert.Matches($@"\d\d:\d\d:\d\d info: {Regex.Escape(src)}: snapshot [0-9a-f]{{8}} \(1 file, 2\.0 KiB\), listed the whole tree, reused 0 subtrees\n", daemon.Error);
        Assert.Matches($@"\d\d:\d\d:\d\d info: {Regex.Escape(src)}: snapshot [0-9a-f]{{8}} \(2 files, 2\.0 KiB\), listed 1 directory, reused 0 subtrees\n", daemon.Error);
        Assert.Matches(@"info: stopping after 2 snapshots\n", daemon.Error);
        Assert.DoesNotContain("Backup.Core", daemon.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(" bytes", daemon.Error, StringComparison.Ordinal);
    }
}
