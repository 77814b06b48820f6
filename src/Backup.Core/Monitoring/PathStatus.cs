namespace Backup.Core.Monitoring;

/// <summary>The outcome of one watched path in one check.</summary>
public enum PathStatus
{
    /// <summary>The dirhash matched the last one: nothing to do.</summary>
    Unchanged,

    /// <summary>A new snapshot was written (maybe incomplete: see its problems).</summary>
    Archived,

    /// <summary>Hashing or archiving failed; the last hash is kept, so the next check tries again.</summary>
    Failed,
}
