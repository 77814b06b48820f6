using Backup.Core.Archiving;
using Backup.Core.Catalog;

namespace Backup.Core.Monitoring;

/// <summary>What the monitor needs of the catalog: the watched paths with their last hashes, and a place to record a snapshot.</summary>
public interface IWatchList
{
    /// <summary>Every watched path, read afresh (paths added while a daemon runs are seen at its next check).</summary>
    IReadOnlyList<WatchedPath> GetWatchedPaths();

    /// <summary>Records a written snapshot and the new hash of <paramref name="path"/> in one transaction; returns the snapshot id.</summary>
    long RecordSnapshot(string path, ArchiveResult result, DateTimeOffset checkedAt);
}
