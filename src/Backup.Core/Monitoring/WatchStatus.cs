namespace Backup.Core.Monitoring;

/// <summary>What <c>backup status</c> shows of one watched path (written by the daemon, docs/design.md "Status file").</summary>
public sealed record WatchStatus
{
    /// <summary>The watched path.</summary>
    public required string Path { get; init; }

    /// <summary><c>inotify</c>, <c>polling</c> or <c>interval</c> (a daemon without <c>--watch</c>).</summary>
    public required string Mode { get; init; }

    /// <summary>The last snapshot written or found unchanged: its catalog id (null before the first in this daemon's life).</summary>
    public long? LastSnapshot { get; init; }

    /// <summary>When the tree was last known to be safe in a snapshot.</summary>
    public DateTimeOffset? LastSnapshotTime { get; init; }

    /// <summary>Events not yet in a snapshot.</summary>
    public long PendingChanges { get; init; }

    /// <summary>Directories marked for the next snapshot.</summary>
    public int PendingDirectories { get; init; }

    /// <summary>inotify watches in use.</summary>
    public int Watches { get; init; }

    /// <summary>Snapshots this daemon wrote of the path.</summary>
    public long Snapshots { get; init; }

    /// <summary>Changes found by a rescan that no event had reported.</summary>
    public long MissedChanges { get; init; }

    /// <summary>inotify queue overflows.</summary>
    public long Overflows { get; init; }

    /// <summary>Time from the first change to the snapshot that holds it, for the last snapshot, in seconds.</summary>
    public double? LastLatencySeconds { get; init; }

    /// <summary>Why the last attempt failed, or null.</summary>
    public string? LastError { get; init; }
}
