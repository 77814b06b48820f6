using Backup.Core.Monitoring;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests.Monitoring;

public class DaemonTests
{
    [Fact]
    public async Task RunAsync_ChecksAtOnceThenEveryInterval()
    {
        var time = new FakeTimeProvider();
        var checks = 0;
        var checkedOnce = new TaskCompletionSource();
        var checkedTwice = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var daemon = new Daemon(_ =>
        {
            checks++;
            (checks == 1 ? checkedOnce : checkedTwice).TrySetResult();
            return Task.FromResult(new CheckReport([]));
        }, TimeSpan.FromSeconds(10), time);

        var running = daemon.RunAsync(stop.Token);
        await checkedOnce.Task.WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(50);
        Assert.Equal(1, checks);
        time.Advance(TimeSpan.FromSeconds(1));
        await checkedTwice.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();

        Assert.Equal(2, await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_CheckThrowsIOException_KeepsRunning()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var secondCall = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var daemon = new Daemon(_ =>
        {
            if (++calls == 2)
            {
                secondCall.TrySetResult();
            }
            throw new IOException("disk full");
        }, TimeSpan.FromSeconds(1), time);

        var running = daemon.RunAsync(stop.Token);
        while (calls < 1)
        {
            await Task.Delay(10);
        }
        time.Advance(TimeSpan.FromSeconds(1));
        await secondCall.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task RunAsync_CancelledDuringWait_ReturnsPromptly()
    {
        using var stop = new CancellationTokenSource();
        var daemon = new Daemon(_ => Task.FromResult(new CheckReport([])), TimeSpan.FromHours(1));

        var running = daemon.RunAsync(stop.Token);
        await Task.Delay(100);
        await stop.CancelAsync();

        Assert.Equal(1, await running.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task RunAsync_Observer_GetsEachPathsOutcomeAndAFailedWholeCheck()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var observed = new List<SnapshotAttempt>();
        var twoChecks = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var written = new Backup.Core.Archiving.ArchiveResult("/archive/a.zip", new Backup.Core.Archiving.SnapshotInfo { SourcePath = "/a", Time = time.GetUtcNow(), Hash = "h", Bytes = 1234 },
            [new Backup.Core.Sources.TreeProblem("bad", "unreadable")]) { StoredBytes = 99 };
        var daemon = new Daemon(_ =>
        {
            if (++calls == 2)
            {
                throw new Backup.Core.Archiving.DestinationUnavailableException("the repository at /r is missing", 10, new IOException("/r"));
            }
            return Task.FromResult(new CheckReport([new PathOutcome("/a", PathStatus.Archived, written, 7), new PathOutcome("/b", PathStatus.Failed, Error: "gone")]));
        }, TimeSpan.FromSeconds(1), time)
        {
            Observer = a =>
            {
                observed.Add(a);
                if (observed.Count == 3)
                {
                    twoChecks.TrySetResult();
                }
            },
        };

        var running = daemon.RunAsync(stop.Token);
        while (!twoChecks.Task.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(twoChecks.Task, Task.Delay(20));
        }
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(("/a", PathStatus.Archived, "7", 1234L, (long?)99, 1), (observed[0].Path, observed[0].Status, observed[0].Snapshot, observed[0].BytesRead, observed[0].BytesStored, observed[0].FilesLeftOut));
        Assert.Equal(("/b", PathStatus.Failed, (FailureKind?)FailureKind.Snapshot, "gone"), (observed[1].Path, observed[1].Status, observed[1].FailureKind, observed[1].Error));
        Assert.Equal((null, PathStatus.Failed, (FailureKind?)FailureKind.Destination), (observed[2].Path, observed[2].Status, observed[2].FailureKind));
    }
}
