namespace Backup.Core.Monitoring;

/// <summary>One notification decided by <see cref="AlertPolicy"/> (docs/design.md, "Notifications").</summary>
/// <param name="Event">Failure or recovery.</param>
/// <param name="Path">The watched path, or null for a failure of whole checks (the destination or the catalog).</param>
/// <param name="Kind">What failed (for a recovery: what had failed).</param>
/// <param name="Error">The last error of the episode, one line.</param>
/// <param name="Since">When the episode began: the first failure, or the first change not yet in a snapshot.</param>
/// <param name="Time">When the alert was decided.</param>
/// <param name="Snapshot">For a recovery, the snapshot that holds the path again; null otherwise.</param>
public sealed record Alert(AlertEvent Event, string? Path, FailureKind Kind, string? Error, DateTimeOffset Since, DateTimeOffset Time, string? Snapshot = null);
