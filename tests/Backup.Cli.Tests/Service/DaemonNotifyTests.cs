using Backup.Testing;

namespace Backup.Cli.Tests.Service;

/// <summary>The real <c>backup daemon --watch</c> talking sd_notify to a socket bound as systemd binds one.</summary>
public sealed class DaemonNotifyTests
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public void Daemon_NotifySocketSet_SendsReadyThenSnapshotStatusThenStopping()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "first");
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;

        using var daemon = backup.Start("daemon", "--watch", "--quiet", "200ms", src);
        Poll.Until(() => socket.IndexOf(l => l == "READY=1") >= 0, "READY=1", describe: () => daemon + socket.ToString());
        var ready = socket.IndexOf(l => l == "READY=1");
        File.WriteAllText(Path.Join(src, "b.txt"), "second");
        Poll.Until(() => socket.IndexOf(l => l.StartsWith("STATUS=last snapshot: ", StringComparison.Ordinal) && l.Contains("snapshot 2 ", StringComparison.Ordinal), ready) > ready,
            "STATUS= naming snapshot 2", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Poll.Until(() => socket.IndexOf(l => l == "STOPPING=1") > ready, "STOPPING=1", describe: socket.ToString);

        var status = socket.Lines[socket.IndexOf(l => l.Contains("snapshot 2 ", StringComparison.Ordinal))];
        Assert.Contains(src, status, StringComparison.Ordinal);
        Assert.DoesNotContain("WATCHDOG=1", socket.Lines);
    }

    [Fact]
    public void Daemon_SnapshotFails_StatusNamesThePathAndTheError()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        File.WriteAllText(backup.Archive, "a file where the archive folder should be");
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;

        using var daemon = backup.Start("daemon", "--watch", src);
        Poll.Until(() => socket.IndexOf(l => l.StartsWith($"STATUS=failing: {src}: ", StringComparison.Ordinal)) >= 0,
            "STATUS=failing naming the path", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Contains("READY=1", socket.Lines);
    }

    [Fact]
    public void Daemon_IntervalModeWithNotifySocket_SendsReadyAfterTheFirstCheckThenStopping()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;

        using var daemon = backup.Start("daemon", "--interval", "1h", src);
        Poll.Until(() => socket.IndexOf(l => l == "READY=1") >= 0, "READY=1", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        var ready = socket.IndexOf(l => l == "READY=1");
        Assert.StartsWith($"STATUS=last snapshot: {src}: snapshot 1 at ", socket.Lines[ready + 1], StringComparison.Ordinal);
        Poll.Until(() => socket.IndexOf(l => l == "STOPPING=1") > ready, "STOPPING=1", describe: socket.ToString);
    }

    [Fact]
    public void Daemon_WatchdogUsecSet_SendsWatchdogPings()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;
        backup.Variables["WATCHDOG_USEC"] = "2000000";

        using var daemon = backup.Start("daemon", "--watch", src);
        Poll.Until(() => socket.Lines.Count(l => l == "WATCHDOG=1") >= 2, "two WATCHDOG=1 pings", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Contains("READY=1", socket.Lines);
    }

    [Fact]
    public void Daemon_WatchdogWhileItsCheckWaitsForTheWorkLock_GoesOnPinging()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;
        // Pings every 0.5 s, each asking for progress within 0.5 s: a busy check that counts nothing is dead at the second.
        backup.Variables["WATCHDOG_USEC"] = "1000000";
        var held = Backup.Core.Locking.ProcessLock.TryAcquire(backup.Catalog + ".lock", "test")!;

        using var daemon = backup.Start("daemon", "--interval", "1h", src);
        try
        {
            Poll.Until(() => daemon.Error.Contains("waiting for", StringComparison.Ordinal), "the check waiting for the work lock", describe: daemon.ToString);
            var before = socket.Lines.Count(l => l == "WATCHDOG=1");
            Poll.Until(() => socket.Lines.Count(l => l == "WATCHDOG=1") >= before + 6, "six pings while the check waits", describe: () => daemon + socket.ToString());
            Assert.DoesNotContain("READY=1", socket.Lines);
        }
        finally
        {
            held.Dispose();
        }
        Poll.Until(() => socket.IndexOf(l => l == "READY=1") >= 0, "READY=1 once the lock is free", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.DoesNotContain("no longer telling the watchdog", daemon.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Daemon_WatchdogPidOfAnotherProcess_SendsNoPings()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        using var socket = new NotifySocket(backup.Join("notify.sock"));
        backup.Variables["NOTIFY_SOCKET"] = socket.Path;
        backup.Variables["WATCHDOG_USEC"] = "200000";
        backup.Variables["WATCHDOG_PID"] = "1";

        using var daemon = backup.Start("daemon", "--watch", "--quiet", "200ms", src);
        Poll.Until(() => socket.IndexOf(l => l == "READY=1") >= 0, "READY=1", describe: () => daemon + socket.ToString());
        // A snapshot after READY takes at least the quiet time: ten watchdog periods of 100 ms pass meanwhile.
        File.WriteAllText(Path.Join(src, "b.txt"), "b");
        Poll.Until(() => socket.IndexOf(l => l.Contains("snapshot ", StringComparison.Ordinal) && l.StartsWith("STATUS=last", StringComparison.Ordinal)) >= 0,
            "STATUS= naming a snapshot", describe: () => daemon + socket.ToString());
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.DoesNotContain("WATCHDOG=1", socket.Lines);
    }

    [Fact]
    public void Daemon_JournalStreamSet_LogsWithJournaldPriorityPrefixes()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        backup.Variables["JOURNAL_STREAM"] = "8:12345";

        using var daemon = backup.Start("daemon", "--watch", src);
        Poll.Until(() => daemon.Error.Contains("daemon started", StringComparison.Ordinal), "the start line", describe: daemon.ToString);
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        var lines = daemon.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("<6>daemon started: catalog ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches("^<[2-7]>[^<]", l));
    }
}
