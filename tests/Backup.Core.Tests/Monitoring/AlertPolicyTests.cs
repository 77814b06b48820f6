using Backup.Core.Monitoring;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests.Monitoring;

public sealed class AlertPolicyTests
{
    private const string Path = "/data/docs";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    private SnapshotAttempt Failed(string? path = Path, FailureKind kind = FailureKind.Snapshot, string error = "permission denied") =>
        new(path, _time.GetUtcNow(), PathStatus.Failed) { FailureKind = kind, Error = error };

    private SnapshotAttempt Archived(string path = Path, string snapshot = "ab12cd34") =>
        new(path, _time.GetUtcNow(), PathStatus.Archived) { Snapshot = snapshot };

    [Fact]
    public void Observe_ZeroDelay_FirstFailureAlertsOnceAndTheRetriesDoNot()
    {
        var policy = new AlertPolicy(TimeSpan.Zero, TimeSpan.FromMinutes(1), _time);

        var first = policy.Observe(Failed());
        _time.Advance(TimeSpan.FromSeconds(10));
        var retry = policy.Observe(Failed(error: "still denied"));

        var alert = Assert.Single(first);
        Assert.Equal(new Alert(AlertEvent.Failure, Path, FailureKind.Snapshot, "permission denied", _time.GetUtcNow().AddSeconds(-10), _time.GetUtcNow().AddSeconds(-10)), alert);
        Assert.Empty(retry);
        Assert.Empty(policy.Tick());
    }

    [Fact]
    public void Observe_FailuresShorterThanTheDelayThenSuccess_NoAlertAtAll()
    {
        var policy = new AlertPolicy(TimeSpan.FromHours(1), TimeSpan.FromHours(1), _time);

        var alerts = new List<Alert>();
        for (var i = 0; i < 10; i++)
        {
            alerts.AddRange(policy.Observe(Failed()));
            _time.Advance(TimeSpan.FromMinutes(5));
        }
        alerts.AddRange(policy.Observe(Archived()));
        _time.Advance(TimeSpan.FromHours(2));
        alerts.AddRange(policy.Tick());

        Assert.Empty(alerts);
    }

    [Fact]
    public void Observe_FailingForTheDelay_OneFailureThenOneRecoveryWithTheSnapshot()
    {
        var policy = new AlertPolicy(TimeSpan.FromHours(1), TimeSpan.FromHours(1), _time);
        var start = _time.GetUtcNow();

        var alerts = new List<Alert>();
        for (var i = 0; i <= 400; i++)
        {
            alerts.AddRange(policy.Observe(Failed(error: $"try {i}")));
            _time.Advance(TimeSpan.FromSeconds(10));
        }
        alerts.AddRange(policy.Observe(Archived(snapshot: "feedbeef")));
        alerts.AddRange(policy.Observe(Archived(snapshot: "feedbee2")));

        Assert.Equal(2, alerts.Count);
        Assert.Equal(AlertEvent.Failure, alerts[0].Event);
        Assert.Equal(start, alerts[0].Since);
        Assert.Equal(start.AddHours(1), alerts[0].Time);
        Assert.Equal("try 360", alerts[0].Error);
        Assert.Equal(new Alert(AlertEvent.Recovery, Path, FailureKind.Snapshot, "try 400", start, _time.GetUtcNow(), "feedbeef"), alerts[1]);
    }

    [Fact]
    public void Tick_NoAttemptAfterTheFirstFailure_AlertsWhenTheDelayHasPassed()
    {
        var policy = new AlertPolicy(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30), _time);
        Assert.Empty(policy.Observe(Failed(kind: FailureKind.Destination, error: "the repository is missing")));

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Empty(policy.Tick());
        _time.Advance(TimeSpan.FromMinutes(1));
        var alert = Assert.Single(policy.Tick());
        Assert.Empty(policy.Tick());

        Assert.Equal(FailureKind.Destination, alert.Kind);
        Assert.Equal("the repository is missing", alert.Error);
    }

    [Fact]
    public void Pending_ChangesWaitingPastTheStaleDelay_AlertsStaleOnceThenRecovers()
    {
        var policy = new AlertPolicy(TimeSpan.Zero, TimeSpan.FromMinutes(1), _time);
        var since = _time.GetUtcNow();

        Assert.Empty(policy.Pending(Path, 3));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(policy.Pending(Path, 7));
        Assert.Empty(policy.Pending("/other", 0));
        _time.Advance(TimeSpan.FromSeconds(30));
        var stale = Assert.Single(policy.Tick());
        Assert.Empty(policy.Pending(Path, 9));
        var recovery = Assert.Single(policy.Observe(Archived()));

        Assert.Equal((AlertEvent.Failure, FailureKind.Stale, since), (stale.Event, stale.Kind, stale.Since));
        Assert.Equal("7 changes waiting for a snapshot since 2026-12-01 10:00:00 UTC", stale.Error);
        Assert.Equal((AlertEvent.Recovery, FailureKind.Stale, "ab12cd34"), (recovery.Event, recovery.Kind, recovery.Snapshot));
    }

    [Fact]
    public void Observe_FailureAfterChangesWaited_TheEpisodeBeganWithTheChanges()
    {
        var policy = new AlertPolicy(TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), _time);
        var since = _time.GetUtcNow();
        policy.Pending(Path, 1);
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty(policy.Observe(Failed()));
        _time.Advance(TimeSpan.FromMinutes(1));

        var alert = Assert.Single(policy.Observe(Failed()));

        Assert.Equal((FailureKind.Snapshot, since), (alert.Kind, alert.Since));
    }

    [Fact]
    public void Observe_WholeCheckFails_ItsOwnEpisodeEndedByAnyPathsSuccess()
    {
        var policy = new AlertPolicy(TimeSpan.Zero, TimeSpan.MaxValue, _time);

        var failure = Assert.Single(policy.Observe(Failed(path: null, kind: FailureKind.Check, error: "database is locked")));
        Assert.Empty(policy.Observe(Failed(path: null, kind: FailureKind.Check, error: "database is locked")));
        var recovery = Assert.Single(policy.Observe(new SnapshotAttempt("/any", _time.GetUtcNow(), PathStatus.Unchanged)));

        Assert.Equal((AlertEvent.Failure, (string?)null, FailureKind.Check), (failure.Event, failure.Path, failure.Kind));
        Assert.Equal((AlertEvent.Recovery, (string?)null), (recovery.Event, recovery.Path));
    }

    [Fact]
    public void Observe_EachPathAndEachEpisode_NotifiedOnItsOwn()
    {
        var policy = new AlertPolicy(TimeSpan.Zero, TimeSpan.MaxValue, _time);

        var events = new List<Alert>();
        events.AddRange(policy.Observe(Failed("/a")));
        events.AddRange(policy.Observe(Failed("/b")));
        events.AddRange(policy.Observe(Archived("/a")));
        events.AddRange(policy.Observe(Failed("/b")));
        events.AddRange(policy.Observe(Failed("/a")));
        policy.Forget("/b");
        events.AddRange(policy.Observe(Archived("/b")));

        Assert.Equal(["failure /a", "failure /b", "recovery /a", "failure /a"], events.Select(e => $"{e.Event.ToString().ToLowerInvariant()} {e.Path}"));
    }
}
