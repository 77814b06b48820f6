namespace Backup.Core.Monitoring;

/// <summary>
/// What one attempt to bring a watched path into a snapshot did, as the daemon's loops hand it to their observer
/// (<see cref="WatchOptions.Observer"/>, <see cref="Daemon.Observer"/>): where notifications and metrics come from.
/// </summary>
/// <param name="Path">The watched path; null for a failure of a whole check, which no path caused.</param>
/// <param name="Time">When the attempt ended.</param>
/// <param name="Status">Archived (a snapshot written), unchanged (the tree is already in one) or failed.</param>
public sealed record SnapshotAttempt(string? Path, DateTimeOffset Time, PathStatus Status)
{
    /// <summary>The snapshot written or found current, as commands accept it (short repository id or zip number); null if none.</summary>
    public string? Snapshot { get; init; }

    /// <summary>Why it failed, when it failed.</summary>
    public FailureKind? FailureKind { get; init; }

    /// <summary>The failure as one line, naming the problem, when it failed.</summary>
    public string? Error { get; init; }

    /// <summary>Bytes of file content in the snapshot written (0 when none was).</summary>
    public long BytesRead { get; init; }

    /// <summary>Bytes the snapshot added to the destination (new packed data, or the zip's size); null when not known.</summary>
    public long? BytesStored { get; init; }

    /// <summary>Entries left out of the snapshot written because they could not be read.</summary>
    public int FilesLeftOut { get; init; }

    /// <summary>From the first change it holds to the snapshot (watch mode only); null when not measured.</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>True when the path is safe in a snapshot after this attempt.</summary>
    public bool Succeeded => Status != PathStatus.Failed;

    /// <summary>The kind of an exception that failed an attempt: the destination, the catalog (a check), or the path itself.</summary>
    public static FailureKind KindOf(Exception e) => e switch
    {
        Archiving.DestinationUnavailableException => Monitoring.FailureKind.Destination,
        Microsoft.Data.Sqlite.SqliteException => Monitoring.FailureKind.Check,
        _ => Monitoring.FailureKind.Snapshot,
    };
}
