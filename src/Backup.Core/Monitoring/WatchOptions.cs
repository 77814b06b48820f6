namespace Backup.Core.Monitoring;

/// <summary>How <see cref="ContinuousMonitor"/> turns events into snapshots.</summary>
public sealed record WatchOptions
{
    /// <summary>A snapshot is taken once no event came for this long.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>...or at the latest this long after the first event since the last snapshot.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every this long the whole tree is walked and compared (a safety net; changes it finds were missed).</summary>
    public TimeSpan Rescan { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A tree that cannot be watched is walked this often.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a cut waits for its cookie's event.</summary>
    public TimeSpan Barrier { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A test seam: while this returns true the watches do not read their events, so that the kernel's queue fills and
    /// overflows as it would under a load the reader cannot follow. Null in production.
    /// </summary>
    public Func<bool>? ParkedWhile { get; init; }

    /// <summary>
    /// Called after each snapshot written (outside the work lock), with the watched path: where the daemon applies its
    /// retention. A failure is logged and never stops the watch. Null does nothing.
    /// </summary>
    public Func<string, CancellationToken, Task>? AfterSnapshot { get; init; }

    /// <summary>How long a path whose snapshot failed waits before it is tried again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Beaten at each turn of the loop, and marked busy during each snapshot; the loop's wait is then at most its
    /// <see cref="LoopHeartbeat.Every"/>. Each snapshot's work (the archiver the monitor is given, its own walks, what
    /// runs <see cref="AfterSnapshot"/>) must count into its <see cref="LoopHeartbeat.Progress"/>: a snapshot whose
    /// counters stop is not alive. Null (no watchdog) lets the loop wait as long as it likes.
    /// </summary>
    public LoopHeartbeat? Heartbeat { get; init; }

    /// <summary>
    /// Called once, after the first pass over the watched paths: each was snapshotted, found unchanged or failed (and
    /// will be tried again). Where the daemon tells systemd that it is ready. Null does nothing.
    /// </summary>
    public Action<IReadOnlyList<WatchStatus>>? Ready { get; init; }

    /// <summary>
    /// Called after each snapshot attempt of a path (written, found unchanged or failed), on the monitor's loop: where the
    /// daemon's notifications and metrics learn what happened. It must return quickly and not throw; null does nothing.
    /// </summary>
    public Action<SnapshotAttempt>? Observer { get; init; }
}
