using Backup.Core.Archiving;

namespace Backup.Core.Monitoring;

/// <summary>What the monitor needs of the catalog: the watched paths with their last hashes, and a place to record a snapshot.</summary>
public interface IWatchList
{
    /// <summary>
    /// Every watched path, read afresh (paths added while a daemon runs are seen at its next check), each with the hash
    /// of its last snapshot in <paramref name="destination"/>.
    /// </summary>
    IReadOnlyList<WatchedPath> GetWatchedPaths(string destination);

    /// <summary>
    /// Records a snapshot written to <paramref name="destination"/> and the new hash of <paramref name="path"/> there, in
    /// one transaction; returns the snapshot id.
    /// </summary>
    long RecordSnapshot(string path, string destination, ArchiveResult result, DateTimeOffset checkedAt);
}
