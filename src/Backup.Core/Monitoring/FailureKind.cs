namespace Backup.Core.Monitoring;

/// <summary>
/// Why a watched path is not safe in a snapshot (docs/design.md, "Notifications"). The names, lower-cased, are what
/// notifications and metrics show: they are permanent.
/// </summary>
public enum FailureKind
{
    /// <summary>The path's snapshot failed: its tree could not be walked or archived.</summary>
    Snapshot,

    /// <summary>The destination (archive folder, repository, S3 or SFTP store) could not be used.</summary>
    Destination,

    /// <summary>A whole check failed (the catalog could not be read or written).</summary>
    Check,

    /// <summary>The path has changes that no snapshot has held for longer than the alert delay, with no failure seen.</summary>
    Stale,
}
