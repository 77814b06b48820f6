using Backup.Core.Locking;
using Backup.Testing;

namespace Backup.Core.Tests.Locking;

public class ProcessLockTests
{
    [Fact]
    public void TryAcquire_WhileHeld_ReturnsNullAndDescribesHolder()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("x.lock");
        using var first = ProcessLock.TryAcquire(path, "daemon");

        Assert.NotNull(first);
        Assert.Null(ProcessLock.TryAcquire(path, "run"));
        Assert.Contains($"pid {Environment.ProcessId} (daemon)", ProcessLock.DescribeHolder(path), StringComparison.Ordinal);
    }

    [Fact]
    public void TryAcquire_AfterRelease_Succeeds()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("x.lock");
        ProcessLock.TryAcquire(path, "a")!.Dispose();

        using var second = ProcessLock.TryAcquire(path, "b");

        Assert.NotNull(second);
    }

    [Fact]
    public async Task AcquireAsync_WhenReleasedLater_WaitsThenTakesIt()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("x.lock");
        var first = ProcessLock.TryAcquire(path, "a")!;
        string? waitedFor = null;

        var waiting = ProcessLock.AcquireAsync(path, "b", holder => waitedFor = holder, TimeProvider.System, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("(a)", waitedFor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireAsync_WithProgress_CountsEachTryWhileItWaits()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("x.lock");
        var first = ProcessLock.TryAcquire(path, "a")!;
        var progress = new ProgressCounters();

        var waiting = ProcessLock.AcquireAsync(path, "b", _ => { }, TimeProvider.System, progress, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (progress.Read().ItemsDone < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the wait counted no tries");
            await Task.Delay(50);
        }
        var during = progress.Read();
        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("waiting for the lock", during.Phase);
        Assert.Contains("(a)", during.Subject, StringComparison.Ordinal);
        Assert.False(during.Ended);
        Assert.True(progress.Read().Ended);
    }

    [Fact]
    public void TryAcquire_HolderProcessKilled_LockIsFree()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("x.lock");
        // flock(1) holds the lock in another process; kill -9 must release it, so a lock is never stale.
        using var holder = Shell.Start("flock", ["-x", path, "sleep", "60"], null, null);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcessLock.TryAcquire(path, "probe") is { } probe)
        {
            probe.Dispose();
            Assert.True(DateTime.UtcNow < deadline, "flock never took the lock");
            Thread.Sleep(50);
        }

        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();

        // flock's child (sleep) shares the lock; the kernel frees it once that process is gone too.
        ProcessLock? taken = null;
        for (var i = 0; i < 200 && taken is null; i++)
        {
            taken = ProcessLock.TryAcquire(path, "after");
            Thread.Sleep(i == 0 ? 0 : 50);
        }
        using (taken)
        {
            Assert.NotNull(taken);
        }
    }
}
