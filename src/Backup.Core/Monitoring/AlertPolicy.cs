namespace Backup.Core.Monitoring;

/// <summary>
/// Decides when the daemon notifies (docs/design.md, "Notifications"), from the attempts its loop reports and, in watch
/// mode, the changes each path has pending. A path's failure episode begins at its first failed attempt (or at the first
/// change still pending, if earlier) after it was last safe; it is notified once, when it has lasted
/// <c>alertAfter</c>, however many attempts fail meanwhile. A path with changes pending and no failure is notified
/// (<see cref="FailureKind.Stale"/>) once they have waited <c>staleAfter</c>: a loop that hangs reports no failure.
/// The first successful attempt after a notified episode is a recovery; an episode that ends before it was notified
/// ends silently. A failure of a whole check (no path) is an episode of its own, ended by any success.
/// Thread-safe: the loop, its status callback and a timer may call it at once.
/// </summary>
public sealed class AlertPolicy
{
    private const string WholeCheck = "";
    private readonly Dictionary<string, Episode> _paths = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    /// <summary>Creates the policy; both delays may be zero (notify at once), never negative.</summary>
    public AlertPolicy(TimeSpan alertAfter, TimeSpan staleAfter, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alertAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(staleAfter, TimeSpan.Zero);
        AlertAfter = alertAfter;
        StaleAfter = staleAfter;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How long a failure episode lasts before it is notified.</summary>
    public TimeSpan AlertAfter { get; }

    /// <summary>How long changes may wait for a snapshot, with no failure seen, before the path is notified as stale.</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>Takes in one attempt; returns the alerts it decides (none, a failure or a recovery).</summary>
    public IReadOnlyList<Alert> Observe(SnapshotAttempt attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var now = _time.GetUtcNow();
        var alerts = new List<Alert>();
        lock (_lock)
        {
            var key = attempt.Path ?? WholeCheck;
            if (attempt.Succeeded)
            {
                End(key, attempt, now, alerts);
                if (key != WholeCheck)
                {
                    // A path's snapshot worked: so did its check, and the destination.
                    End(WholeCheck, attempt, now, alerts);
                }
                return alerts;
            }
            var episode = EpisodeOf(key);
            episode.FailingSince ??= episode.PendingSince is { } pending && pending < now ? pending : now;
            episode.Kind = attempt.FailureKind ?? FailureKind.Snapshot;
            episode.Error = attempt.Error;
            Evaluate(key, episode, now, alerts);
        }
        return alerts;
    }

    /// <summary>Takes in the number of changes a path has waiting for a snapshot; returns the alerts it decides.</summary>
    public IReadOnlyList<Alert> Pending(string path, long pendingChanges)
    {
        ArgumentNullException.ThrowIfNull(path);
        var now = _time.GetUtcNow();
        var alerts = new List<Alert>();
        lock (_lock)
        {
            var episode = EpisodeOf(path);
            if (pendingChanges > 0)
            {
                episode.PendingSince ??= now;
                episode.PendingChanges = pendingChanges;
            }
            Evaluate(path, episode, now, alerts);
        }
        return alerts;
    }

    /// <summary>Forgets a path no longer watched: it has no episode to end.</summary>
    public void Forget(string path)
    {
        lock (_lock)
        {
            _paths.Remove(path);
        }
    }

    /// <summary>Looks at every episode at the current time (called by a timer: a hung loop reports nothing); returns the alerts due.</summary>
    public IReadOnlyList<Alert> Tick()
    {
        var now = _time.GetUtcNow();
        var alerts = new List<Alert>();
        lock (_lock)
        {
            foreach (var (key, episode) in _paths)
            {
                Evaluate(key, episode, now, alerts);
            }
        }
        return alerts;
    }

    private Episode EpisodeOf(string key)
    {
        if (!_paths.TryGetValue(key, out var episode))
        {
            episode = new Episode();
            _paths[key] = episode;
        }
        return episode;
    }

    private void End(string key, SnapshotAttempt attempt, DateTimeOffset now, List<Alert> alerts)
    {
        if (!_paths.Remove(key, out var episode))
        {
            return;
        }
        if (episode.Notified)
        {
            alerts.Add(new Alert(AlertEvent.Recovery, PathOf(key), episode.Kind, episode.Error, episode.Since, now, attempt.Snapshot));
        }
    }

    private void Evaluate(string key, Episode episode, DateTimeOffset now, List<Alert> alerts)
    {
        if (episode.Notified)
        {
            return;
        }
        var stale = episode.FailingSince is null && episode.PendingSince is { } pending && now - pending >= StaleAfter;
        if (stale)
        {
            episode.Kind = FailureKind.Stale;
            episode.Error = $"{Quantity.Count(episode.PendingChanges, "change")} waiting for a snapshot since {episode.PendingSince!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC";
            episode.FailingSince = episode.PendingSince;
        }
        if (episode.FailingSince is { } since && (stale || now - since >= AlertAfter))
        {
            episode.Notified = true;
            alerts.Add(new Alert(AlertEvent.Failure, PathOf(key), episode.Kind, episode.Error, since, now));
        }
    }

    private static string? PathOf(string key) => key == WholeCheck ? null : key;

    /// <summary>One path's time since it was last safe.</summary>
    private sealed class Episode
    {
        public DateTimeOffset? FailingSince { get; set; }
        public DateTimeOffset? PendingSince { get; set; }
        public long PendingChanges { get; set; }
        public FailureKind Kind { get; set; }
        public string? Error { get; set; }
        public bool Notified { get; set; }
        public DateTimeOffset Since => FailingSince ?? PendingSince ?? DateTimeOffset.MinValue;
    }
}
