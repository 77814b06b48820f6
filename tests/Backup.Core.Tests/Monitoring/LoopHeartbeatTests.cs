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
    public void IsAlive_SnapshotWhoseCountersMove_IsTrueUntilItEndsThenCountsFromItsEnd()
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LoopHeartbeat(TimeSpan.FromSeconds(30), time);

        var busy = heartbeat.Busy();
        heartbeat.Progress.Begin("checking", "/src", "files");
        for (var minute = 0; minute < 180; minute++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            heartbeat.Progress.CompleteItem(minute % 2 == 0 ? 0 : 100);
            Assert.True(heartbeat.IsAlive(Within));
            time.Advance(TimeSpan.FromSeconds(29));
            heartbeat.Progress.AddBytes(1);
            Assert.True(heartbeat.IsAlive(Within));
        }
        busy.Dispose();
        busy.Dispose();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(heartbeat.IsAlive(Within));
    }

    [Fact]
    public void IsAlive_SnapshotWhoseCountersFreeze_IsFalseOnceTheyHaveNotMovedForTheBound()
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LoopHeartbeat(TimeSpan.FromSeconds(30), time);
        using var busy = heartbeat.Busy();
        heartbeat.Progress.Begin("archiving", "/src", "files", 10, 1000);
        time.Advance(TimeSpan.FromSeconds(30));
        heartbeat.Progress.CompleteItem(10);
        Assert.True(heartbeat.IsAlive(Within));

        // Hung on a read: nothing counts any more, though the loop is still busy.
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(heartbeat.IsAlive(Within));

        // A beat is no progress while busy; a counter that moves again is.
        heartbeat.Beat();
        Assert.False(heartbeat.IsAlive(Within));
        heartbeat.Progress.End();
        Assert.True(heartbeat.IsAlive(Within));
    }

    [Fact]
    public void IsAlive_SnapshotThatCountsNothing_IsAliveForTheBoundFromItsStartOnly()
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LoopHeartbeat(TimeSpan.FromSeconds(30), time);
        heartbeat.Progress.Begin("archiving", "/earlier", "files");
        heartbeat.Progress.CompleteItem(5);
        time.Advance(TimeSpan.FromMinutes(5));
        heartbeat.Beat();

        // What an earlier snapshot counted is no progress of this one, and its start counts as some.
        using var busy = heartbeat.Busy();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(heartbeat.IsAlive(Within));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(heartbeat.IsAlive(Within));
    }
}
