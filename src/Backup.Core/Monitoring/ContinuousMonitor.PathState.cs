using Backup.Core.Archiving;
using Backup.Core.Archiving.Trees;
using Backup.Core.Changes;

namespace Backup.Core.Monitoring;

public sealed partial class ContinuousMonitor
{
    /// <summary>One watched path: its watch, the last snapshot this monitor built (the basis of the next), and what status shows.</summary>
    private sealed class PathState(string path) : IDisposable
    {
        public string Path { get; } = path;
        public TreeWatch? Watch { get; set; }
        public Sources.ExcludeRules Rules { get; init; } = Sources.ExcludeRules.None;
        public SnapshotBasis? Basis { get; set; }
        public bool Started { get; set; }
        public DateTimeOffset RescanAt { get; set; }
        public DateTimeOffset? RetryAt { get; set; }
        public DateTimeOffset? LastAttempt { get; set; }
        public long? LastSnapshot { get; set; }
        public DateTimeOffset? LastSnapshotTime { get; set; }
        public TimeSpan? LastLatency { get; set; }
        public long Snapshots { get; set; }
        public long MissedChanges { get; set; }
        public string? LastError { get; set; }
        public bool LimitWarned { get; set; }
        public string? LastSnapshotName { get; set; }
        public Written Written { get; set; } = new();

        public void Dispose() => Watch?.Dispose();
    }

    /// <summary>What the snapshots of one attempt wrote (a rescan may write two), for the observer.</summary>
    private sealed class Written
    {
        public string? Snapshot { get; private set; }
        public long BytesRead { get; private set; }
        public long? BytesStored { get; private set; }
        public int FilesLeftOut { get; private set; }

        public void Add(ArchiveResult result, string snapshot)
        {
            Snapshot = snapshot;
            BytesRead += result.Info.Bytes;
            BytesStored = result.StoredBytes is { } stored ? (BytesStored ?? 0) + stored : BytesStored;
            FilesLeftOut += result.Problems.Count;
        }
    }
}
