using Backup.Core.Monitoring;
using Backup.Core.Repositories.Maintenance;

namespace Backup.Cli.Web;

/// <summary>
/// What the daemon tells the page: the state of each watched path (from the watch's status callback, or built from
/// each interval check), and the result of the last check started from the page. Thread-safe: written by the
/// daemon's loop, read by requests.
/// </summary>
internal sealed class WebState
{
    private IReadOnlyList<WatchStatus> _paths = [];
    private LastCheck? _lastCheck;

    /// <summary>The result of one repository check: when it ended, and what it found.</summary>
    public sealed record LastCheck(DateTimeOffset Time, RepositoryChecker.Report Report);

    /// <summary>The last state of each watched path; empty before the daemon's first report.</summary>
    public IReadOnlyList<WatchStatus> Paths => Volatile.Read(ref _paths);

    /// <summary>The last check started from the page, or null.</summary>
    public LastCheck? Check => Volatile.Read(ref _lastCheck);

    /// <summary>Replaces the paths' state (the watch's status callback).</summary>
    public void Update(IReadOnlyList<WatchStatus> paths) => Volatile.Write(ref _paths, paths);

    /// <summary>Folds an interval check's outcomes into the paths' state: a path unchanged keeps its last snapshot.</summary>
    public void Update(CheckReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        var before = Paths.ToDictionary(p => p.Path, StringComparer.Ordinal);
        Update([.. report.Outcomes.Select(o =>
        {
            var was = before.GetValueOrDefault(o.Path);
            return o.Status switch
            {
                PathStatus.Failed => new WatchStatus { Path = o.Path, Mode = "interval", LastSnapshot = was?.LastSnapshot, LastSnapshotTime = was?.LastSnapshotTime, LastError = o.Error },
                PathStatus.Archived => new WatchStatus { Path = o.Path, Mode = "interval", LastSnapshot = o.SnapshotId, LastSnapshotTime = now, Snapshots = (was?.Snapshots ?? 0) + 1 },
                _ => new WatchStatus { Path = o.Path, Mode = "interval", LastSnapshot = was?.LastSnapshot, LastSnapshotTime = now, Snapshots = was?.Snapshots ?? 0 },
            };
        })]);
    }

    /// <summary>Records a finished check.</summary>
    public void Checked(LastCheck check) => Volatile.Write(ref _lastCheck, check);
}
