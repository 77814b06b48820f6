using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>
/// The retention of <c>backup daemon --watch</c> with real processes: after its snapshots the daemon forgets by its policy
/// and prunes, and what is left restores. <c>$BACKUP_TEST_RETENTION_EVERY=0</c> runs it after every snapshot rather than
/// hourly (docs/design.md, "Testing the watch").
/// </summary>
public sealed partial class WatchRetentionTests
{
    [Fact]
    public void Watch_KeepLastTwo_LeavesTheNewestTwoThatRestore()
    {
        using var w = new WatchWorld(t => t.File("a.txt", "alpha").File("dir/b.txt", "beta"), start: false);
        w.World.Variables["BACKUP_TEST_RETENTION_EVERY"] = "0";
        w.Start("--keep-last", "2");
        var change = Path.Join(w.Source, "change.txt");
        var trees = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            File.WriteAllText(change, $"change {i}");
            w.CatchUp($"change {i}");
            if (i >= 3)
            {
                trees.Add(Copy(w, $"tree-{i}"));
            }
        }

        // Five snapshots were written (the first at start); the retention after the third, fourth and fifth forgot one each.
        Poll.Until(() => Pruned().Count(w.Daemon.Error) >= 3, "the retention to run after the last snapshot", describe: w.Describe);
        IReadOnlyList<Repository.RepositoryProcess.SnapshotRow>? left = null;
        Poll.Until(() =>
        {
            // The retention holds an exclusive lock while it runs: a listing then fails (exit 11) and is tried again.
            var listing = w.World.Run("snapshots", "--json");
            left = listing.ExitCode == 0 ? w.World.Snapshots() : null;
            return left is { Count: 2 };
        }, "two snapshots left", describe: w.Describe);

        Assert.All(left!, s => Assert.Equal(w.Source, s.Path));
        for (var i = 0; i < 2; i++)
        {
            var restored = w.World.Restore(left![i].Id);
            TreeAssert.Identical(trees[i], restored);
        }
        TreeAssert.Identical(w.Source, w.World.Restore(left![1].Id));
        Assert.Equal(3, ForgotOne().Count(w.Daemon.Error));
        var status = w.World.Raw("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains(w.Source, status.Output, StringComparison.Ordinal);
        var check = w.World.Expect(0, "check");
        Assert.Contains("no errors", check.Output, StringComparison.Ordinal);
        var stderr = w.Stop();
        Assert.DoesNotContain("after the snapshot", stderr, StringComparison.Ordinal);
        Assert.Contains("watch retention: last 2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_NoForget_KeepsEverySnapshot()
    {
        using var w = new WatchWorld(t => t.File("a.txt", "alpha"), start: false);
        w.World.Variables["BACKUP_TEST_RETENTION_EVERY"] = "0";
        w.Start("--no-forget");
        for (var i = 1; i <= 3; i++)
        {
            File.WriteAllText(Path.Join(w.Source, "change.txt"), $"change {i}");
            w.CatchUp($"change {i}");
        }

        var stderr = w.Stop();

        Assert.Equal(4, w.World.Snapshots().Count);
        Assert.Contains("watch retention: off", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("by the watch retention", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_DefaultRetention_KeepsEverySnapshotOfTheLastHour()
    {
        using var w = new WatchWorld(t => t.File("a.txt", "alpha"), start: false);
        w.World.Variables["BACKUP_TEST_RETENTION_EVERY"] = "0";
        w.Start();
        for (var i = 1; i <= 3; i++)
        {
            File.WriteAllText(Path.Join(w.Source, "change.txt"), $"change {i}");
            w.CatchUp($"change {i}");
        }

        var stderr = w.Stop();

        Assert.Equal(4, w.World.Snapshots().Count);
        Assert.Contains("watch retention: weekly, within 1h, hourly within 24h, daily within 30d", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("by the watch retention", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("after the snapshot", stderr, StringComparison.Ordinal);
    }

    /// <summary>A copy of the watched tree as it is now, to compare a restored snapshot with.</summary>
    private static string Copy(WatchWorld w, string name)
    {
        var copy = w.World.Join(name);
        var cp = Shell.Run("cp", "-a", w.Source, copy);
        Assert.True(cp.ExitCode == 0, cp.ToString());
        return copy;
    }

    [GeneratedRegex("pruned .* by the watch retention")]
    private static partial Regex Pruned();

    [GeneratedRegex("forgot 1 snapshot of .* by the watch retention")]
    private static partial Regex ForgotOne();
}
