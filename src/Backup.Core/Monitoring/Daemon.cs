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

    /// <summary>Creates the loop around <paramref name="check"/>.</summary>
    public Daemon(Func<CancellationToken, Task<CheckReport>> check, TimeSpan interval, TimeProvider? time = null, ILogger<Daemon>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _check = check;
        _interval = interval;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; returns the number of checks completed.</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        long checks = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _logger.LogInformation("checking");
                var report = await _check(cancellationToken);
                checks++;
                if (report.Archived == 0 && report.Failed == 0)
                {
                    _logger.LogInformation("no changes in {Directories}", Quantity.Count(report.Outcomes.Count, "directory", "directories"));
                }
                else
                {
                    _logger.LogInformation("archived {Archived} of {Count} directories, {Failed} failed", report.Archived, report.Outcomes.Count, report.Failed);
                }
                await Task.Delay(_interval, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or BackupException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The catalog itself failed (disk full, locked for too long): log it and try again at the next interval.
                _logger.LogError("check failed: {Message}", e.Message);
                try
                {
                    await Task.Delay(_interval, _time, cancellationToken);
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
}
