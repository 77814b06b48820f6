using System.Collections.Concurrent;
using Backup.Core.Monitoring;
using Prometheus;

namespace Backup.Cli;

/// <summary>
/// The daemon's Prometheus metrics (docs/metrics.md), in a registry of its own (never prometheus-net's static default,
/// so two daemons in one test process do not share counters), with the process's own resources from prometheus-net's
/// <see cref="DotNetStats"/>. Fed by the loop's observer (<see cref="Observe"/>) and, in watch mode, its status
/// callback (<see cref="Update"/>); read by <see cref="ExportAsync"/>. Thread-safe.
/// </summary>
public sealed class DaemonMetrics
{
    private static readonly string[] s_path = ["path"];

    // From a tenth of a second (an idle watch after its quiet period) to the ten minutes of a very large first build.
    private static readonly double[] s_latencyBuckets = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Gauge _lastSuccess;
    private readonly Gauge _failing;
    private readonly Counter _snapshots;
    private readonly Counter _bytesRead;
    private readonly Counter _bytesStored;
    private readonly Counter _filesLeftOut;
    private readonly Counter _errors;
    private readonly Histogram _latency;
    private readonly Gauge _pending;
    private readonly Gauge _watches;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, bool> _upToDate = new(StringComparer.Ordinal);
    // Every path whose series were published, so that those of a path no longer watched can go.
    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);

    /// <summary>Creates the metrics, every one at zero, and registers the process's; times come from <paramref name="time"/>.</summary>
    public DaemonMetrics(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        var factory = Metrics.WithCustomRegistry(_registry);
        DotNetStats.Register(_registry);
        _lastSuccess = factory.CreateGauge("backup_last_success_timestamp_seconds",
            "When the path was last known to be safe in a snapshot (written or found unchanged; in watch mode, now while nothing is pending), in seconds since the epoch", s_path);
        _failing = factory.CreateGauge("backup_path_failing", "1 while the path's last attempt failed, else 0", s_path);
        _snapshots = factory.CreateCounter("backup_snapshots_total", "Snapshots written of the path", s_path);
        _bytesRead = factory.CreateCounter("backup_read_bytes_total", "Bytes of file content in the snapshots written", s_path);
        _bytesStored = factory.CreateCounter("backup_stored_bytes_total", "Bytes the snapshots added to the destination (new packed data, or zip size)", s_path);
        _filesLeftOut = factory.CreateCounter("backup_files_left_out_total", "Entries left out of snapshots because they could not be read", s_path);
        _errors = factory.CreateCounter("backup_errors_total", "Failed attempts, by kind: snapshot, destination or check (path \"\" for a whole check)",
            new CounterConfiguration { LabelNames = ["path", "kind"] });
        _latency = factory.CreateHistogram("backup_change_to_snapshot_seconds", "From the first change to the snapshot that holds it (watch mode)",
            new HistogramConfiguration { LabelNames = s_path, Buckets = s_latencyBuckets });
        _pending = factory.CreateGauge("backup_pending_changes", "Changes seen and not yet in a snapshot (watch mode)", s_path);
        _watches = factory.CreateGauge("backup_watches", "inotify watches in use for the path (watch mode)", s_path);
        // A watched path with nothing pending is safe now, not only at its last attempt: an idle tree gets no attempts,
        // and the alert rule (docs/metrics.md) must not fire for it.
        _registry.AddBeforeCollectCallback(() =>
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
            foreach (var (path, _) in _upToDate.Where(p => p.Value))
            {
                _lastSuccess.WithLabels(path).Set(now);
            }
        });
    }

    /// <summary>Counts one attempt of the loop (its observer).</summary>
    public void Observe(SnapshotAttempt attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var path = attempt.Path ?? "";
        if (attempt.Path is not null)
        {
            Known(path);
        }
        if (!attempt.Succeeded)
        {
            _errors.WithLabels(path, (attempt.FailureKind ?? FailureKind.Snapshot).ToString().ToLowerInvariant()).Inc();
            _failing.WithLabels(path).Set(1);
            if (_upToDate.ContainsKey(path))
            {
                _upToDate[path] = false;
            }
            return;
        }
        _failing.WithLabels(path).Set(0);
        _lastSuccess.WithLabels(path).Set(attempt.Time.ToUnixTimeMilliseconds() / 1000.0);
        if (attempt.Status == PathStatus.Archived)
        {
            _snapshots.WithLabels(path).Inc();
            _bytesRead.WithLabels(path).Inc(attempt.BytesRead);
            _bytesStored.WithLabels(path).Inc(attempt.BytesStored ?? 0);
            _filesLeftOut.WithLabels(path).Inc(attempt.FilesLeftOut);
        }
        if (attempt.Latency is { } latency)
        {
            _latency.WithLabels(path).Observe(latency.TotalSeconds);
        }
    }

    /// <summary>Sets the watch's gauges from every path's state (its status callback).</summary>
    public void Update(IReadOnlyList<WatchStatus> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            Known(path.Path);
            _pending.WithLabels(path.Path).Set(path.PendingChanges);
            _watches.WithLabels(path.Path).Set(path.Watches);
            _upToDate[path.Path] = path.PendingChanges == 0 && path.LastError is null && path.LastSnapshotTime is not null;
        }
        // A path removed from the catalog leaves no series behind: its last success would age and fire the alert rule.
        foreach (var gone in _upToDate.Keys.Where(p => !paths.Any(w => w.Path == p)).ToList())
        {
            _upToDate.TryRemove(gone, out _);
            Forget(gone);
        }
    }

    /// <summary>
    /// Ends the interval daemon's check whose outcomes named <paramref name="paths"/> (every path the catalog watched):
    /// the series of a path no longer among them go, as <see cref="Update"/> makes them go in watch mode.
    /// </summary>
    public void Checked(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var watched = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _known.Keys.Where(p => !watched.Contains(p)).ToList())
        {
            Forget(gone);
        }
    }

    /// <summary>Publishes a watched path's counters at zero, so that its first snapshot or error is an increase (rate() sees it).</summary>
    private void Known(string path)
    {
        _known.TryAdd(path, 0);
        _snapshots.WithLabels(path);
        _bytesRead.WithLabels(path);
        _bytesStored.WithLabels(path);
        _filesLeftOut.WithLabels(path);
        _failing.WithLabels(path);
    }

    private void Forget(string path)
    {
        _known.TryRemove(path, out _);
        foreach (var gauge in new[] { _lastSuccess, _failing, _pending, _watches })
        {
            gauge.RemoveLabelled(path);
        }
        foreach (var counter in new[] { _snapshots, _bytesRead, _bytesStored, _filesLeftOut })
        {
            counter.RemoveLabelled(path);
        }
        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            _errors.RemoveLabelled(path, kind.ToString().ToLowerInvariant());
        }
        _latency.RemoveLabelled(path);
    }

    /// <summary>Writes every metric to <paramref name="destination"/> in Prometheus's text format (version 0.0.4); leaves it open.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, ExpositionFormat.PrometheusText, cancellationToken);
}
