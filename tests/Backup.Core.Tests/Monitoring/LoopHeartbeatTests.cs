using Backup.Core.Monitoring;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests.Monitoring;

public sealed class LoopHeartbeatTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public void IsAlive_NoBeatForLongerThanTheBound_IsFalse()
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LoopHeartbeat(TimeSpan.FromSeconds(30), time);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(heartbeat.IsAlive(Within));
        heartbeat.Beat();
        Assert.True(heartbeat.IsAlive(Within));
    }

    [Fact]
    public void IsAlive_SnapshotInProgress_IsTrueUntilItEndsThenCountsFromItsEnd()
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LoopHeartbeat(TimeSpan.FromSeconds(30), time);

        var busy = heartbeat.Busy();
        time.Advance(TimeSpan.FromHours(3));
        Assert.True(heartbeat.IsAlive(Within));
        busy.Dispose();
        busy.Dispose();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(heartbeat.IsAlive(Within));
    }
}
