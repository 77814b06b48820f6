using System.Globalization;
using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>The safety nets of the watch under real kernel limits: a queue that overflows, a watch table that is full.</summary>
[Collection(KernelLimits.Name)]
public sealed class WatchLimitTests
{
    private const string QueueLimit = "/proc/sys/fs/inotify/max_queued_events";
    private const string WatchLimit = "/proc/sys/fs/inotify/max_user_watches";

    [Fact]
    public void Watch_QueueOverflows_RescansAndStillEqualsAFullWalk()
    {
        using var w = new WatchWorld(t => t.File("a/b/seed.txt", "seed"), start: false);
        var park = w.World.Join("park");
        w.World.Variables["BACKUP_TEST_PARK_WATCH"] = park;
        // The limit is read when an instance is made: lowered while the daemon starts, and put back once it watches.
        using (Lowered(QueueLimit, 16))
        {
            w.Start();
        }
        // The reader parked, so that the kernel's queue of 16 events fills at once.
        File.WriteAllText(park, "");
        // Into watched directories (a new one is not watched before its walk): far more than 16 events.
        var burst = Shell.Run("python3", "-c",
            $"import os\nfor i in range(300):\n open('{w.Source}/a/b/%d' % i, 'w').write(str(i))\n open('{w.Source}/a/%d' % i, 'w').write(str(i))\nos.rename('{w.Source}/a/b/seed.txt', '{w.Source}/seed.txt')");
        Assert.True(burst.ExitCode == 0, burst.ToString());
        File.Delete(park);

        w.CatchUp("the burst that overflowed the queue");

        Assert.True(w.Status()!.Value.GetProperty("overflows").GetInt64() >= 1, w.Describe());
        Assert.Contains("inotify queue overflowed", w.Daemon.Error, StringComparison.Ordinal);
        w.AssertSnapshotIsTree("after the overflow");
        // Still watching after the rescan: a later change is seen by its event.
        File.WriteAllText(Path.Join(w.Source, "a", "b", "after.txt"), "after");
        w.CatchUp("a change after the overflow");
        w.AssertSnapshotIsTree("a change after the overflow");
        w.Stop();
    }

    [Fact]
    public void Watch_WatchTableFull_WarnsWithTheSysctlAndPolls()
    {
        using var w = new WatchWorld(t =>
        {
            for (var i = 0; i < 12; i++)
            {
                t.File($"d{i}/e/f.txt", i.ToString(CultureInfo.InvariantCulture));
            }
        }, start: false);
        // As nobody, whose watches are its own: the limit is per user.
        w.World.RunAsNobody();
        using (Lowered(WatchLimit, 5))
        {
            w.Start("--poll-interval", "1s");
        }

        Poll.Until(() => w.Status() is { } s && s.GetProperty("mode").GetString() == "polling", "the tree to turn to polling", describe: w.Describe);
        // The warning goes through the logger, whose console output is written from a queue of its own: it may reach
        // stderr a moment after the status file says polling.
        Poll.Until(() => w.Daemon.Error.Contains("fs.inotify.max_user_watches", StringComparison.Ordinal), "the warning naming the sysctl", describe: w.Describe);
        Assert.Contains("needs at least 25", w.Daemon.Error, StringComparison.Ordinal);
        Assert.Equal(0, w.Status()!.Value.GetProperty("watches").GetInt32());
        File.WriteAllText(Path.Join(w.Source, "d3", "e", "polled.txt"), "found by a walk");
        Poll.Until(() => w.World.Snapshots().Count >= 2, "a polled snapshot", describe: w.Describe);
        Thread.Sleep(1500);
        w.AssertSnapshotIsTree("a change found by polling");
        w.Stop();
    }

    /// <summary>Sets a kernel limit and puts the old value back when disposed.</summary>
    private static Restorer Lowered(string path, long value)
    {
        var old = File.ReadAllText(path).Trim();
        File.WriteAllText(path, value.ToString(CultureInfo.InvariantCulture));
        return new Restorer(() => File.WriteAllText(path, old));
    }

    private sealed class Restorer(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
