using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Monitoring;

/// <summary>
/// The seed's backupd: runs a check at once, then every <c>interval</c>, until cancelled. A check's failures are logged
/// by the check and never stop the loop. Cancellation (SIGINT/SIGTERM) ends the wait at once and the current check at
/// its next cancellation point.
/// </summary>
public sealed class Daemon
{
    private readonly Func<CancellationToken, Task<CheckReport>> _check;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LoopHeartbeat? _heartbeat;
    private readonly Action<CheckReport>? _onCheck;

    /// <summary>
    /// Creates the loop around <paramref name="check"/>. <paramref name="heartbeat"/>, when given, is beaten at least
    /// every its <see cref="LoopHeartbeat.Every"/> while the loop waits, and marked busy during a check, whose work
    /// must then count into its <see cref="LoopHeartbeat.Progress"/> (a check whose counters stop is not alive);
    /// <paramref name="onCheck"/> gets each completed check's report.
    /// </summary>
    public Daemon(
        Func<CancellationToken, Task<CheckReport>> check, TimeSpan interval, TimeProvider? time = null, ILogger<Daemon>? logger = null,
        LoopHeartbeat? heartbeat = null, Action<CheckReport>? onCheck = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _check = check;
        _interval = interval;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _heartbeat = heartbeat;
        _onCheck = onCheck;
    }

    /// <summary>
    /// Gets each path's outcome after each completed check, and one failed attempt with no path when a whole check
    /// fails (the destination or the catalog): where notifications and metrics learn what happened. It must return
    /// quickly and not throw; null does nothing.
    /// </summary>
    public Action<SnapshotAttempt>? Observer { get; init; }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; returns the number of checks completed.</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        long checks = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _logger.LogInformation("checking");
                CheckReport report;
                using (_heartbeat?.Busy())
                {
                    report = await _check(cancellationToken);
                }
                checks++;
                _onCheck?.Invoke(report);
                Observe(report);
                if (report.Archived == 0 && report.Failed == 0)
                {
                    _logger.LogInformation("no changes in {Directories}", Quantity.Count(report.Outcomes.Count, "directory", "directories"));
                }
                else
                {
                    _logger.LogInformation("archived {Archived} of {Count} directories, {Failed} failed", report.Archived, report.Outcomes.Count, report.Failed);
                }
                await WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or BackupException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The catalog itself failed (disk full, locked for too long): log it and try again at the next interval.
                _logger.LogError("check failed: {Message}", e.Message);
                Observer?.Invoke(new SnapshotAttempt(null, _time.GetUtcNow(), PathStatus.Failed)
                {
                    FailureKind = e is Archiving.DestinationUnavailableException ? FailureKind.Destination : FailureKind.Check,
                    Error = e.Message,
                });
                try
                {
                    await WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        _logger.LogInformation("stopping after {Checks}", Quantity.Count(checks, "check"));
        return checks;
    }

    private void Observe(CheckReport report)
    {
        if (Observer is not { } observer)
        {
            return;
        }
        var now = _time.GetUtcNow();
        foreach (var outcome in report.Outcomes)
        {
            observer(new SnapshotAttempt(outcome.Path, now, outcome.Status)
            {
                Snapshot = outcome.Result is { } r ? Snapshots.SnapshotIds.Display(outcome.SnapshotId ?? 0, r.Archive) : null,
                FailureKind = outcome.Status == PathStatus.Failed ? FailureKind.Snapshot : null,
                Error = outcome.Error,
                BytesRead = outcome.Result?.Info.Bytes ?? 0,
                BytesStored = outcome.Result?.StoredBytes,
                FilesLeftOut = outcome.Result?.Problems.Count ?? 0,
            });
        }
    }

    /// <summary>Waits one interval, beating the heartbeat at least every its period.</summary>
    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_heartbeat is null)
        {
            await Task.Delay(_interval, _time, cancellationToken);
            return;
        }
        var end = _time.GetUtcNow() + _interval;
        for (var left = _interval; left > TimeSpan.Zero; left = end - _time.GetUtcNow())
        {
            _heartbeat.Beat();
            await Task.Delay(left < _heartbeat.Every ? left : _heartbeat.Every, _time, cancellationToken);
        }
    }
}
