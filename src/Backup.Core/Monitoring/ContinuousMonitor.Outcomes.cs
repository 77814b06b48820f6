using Backup.Core.Archiving;
using Backup.Core.Archiving.Trees;
using Microsoft.Extensions.Logging;

namespace Backup.Core.Monitoring;

public sealed partial class ContinuousMonitor
{
    private void Record(PathState state, ChangeArchiveResult result, string listed)
    {
        state.Basis = result.Basis;
        state.LastSnapshotName = Backup.Core.Snapshots.SnapshotIds.Short(result.Basis.SnapshotId);
        state.LastError = null;
        foreach (var problem in result.Problems)
        {
            _logger.LogWarning("{Path}: could not back up {Entry}: {Reason}", state.Path, problem.Path, problem.Message);
        }
        if (result.Result is { } written)
        {
            state.LastSnapshot = _watchList.RecordSnapshot(state.Path, _destination, written, _time.GetUtcNow());
            state.Snapshots++;
            state.Written.Add(written, Backup.Core.Snapshots.SnapshotIds.Display(state.LastSnapshot.Value, written.Archive));
            _logger.LogInformation("{Path}: snapshot {Snapshot} ({Files}, {Size}), listed {Listed}, reused {Reused}",
                state.Path, Backup.Core.Snapshots.SnapshotIds.Short(result.Basis.SnapshotId), Quantity.Count(written.Info.Files, "file"), Quantity.Bytes(written.Info.Bytes),
                listed, Quantity.Count(result.ReusedSubtrees, "subtree"));
        }
        else
        {
            _logger.LogDebug("{Path}: unchanged (listed {Listed})", state.Path, listed);
        }
        state.LastSnapshotTime = _time.GetUtcNow();
    }

    private void Record(PathState state, PathOutcome outcome)
    {
        if (outcome.Status == PathStatus.Failed)
        {
            throw new BackupException(outcome.Error ?? "failed");
        }
        state.LastError = null;
        state.LastSnapshotTime = _time.GetUtcNow();
        if (outcome.Status == PathStatus.Archived)
        {
            state.LastSnapshot = outcome.SnapshotId;
            state.Snapshots++;
            if (outcome.Result is { } written)
            {
                state.Written.Add(written, Backup.Core.Snapshots.SnapshotIds.Display(outcome.SnapshotId ?? 0, written.Archive));
                state.LastSnapshotName = state.Written.Snapshot;
            }
        }
    }

    /// <summary>Tells the observer what the attempt just ended did.</summary>
    private void Observe(PathState state, PathStatus status, TimeSpan? latency, FailureKind? kind = null)
    {
        if (_options.Observer is not { } observer)
        {
            return;
        }
        var written = state.Written;
        observer(new SnapshotAttempt(state.Path, _time.GetUtcNow(), status)
        {
            Snapshot = status == PathStatus.Failed ? null : written.Snapshot ?? state.LastSnapshotName,
            FailureKind = kind,
            Error = status == PathStatus.Failed ? state.LastError : null,
            BytesRead = status == PathStatus.Failed ? 0 : written.BytesRead,
            BytesStored = status == PathStatus.Failed ? null : written.BytesStored,
            FilesLeftOut = status == PathStatus.Failed ? 0 : written.FilesLeftOut,
            Latency = latency,
        });
    }
}
