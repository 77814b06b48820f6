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
}
