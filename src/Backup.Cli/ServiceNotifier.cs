using System.Globalization;
using System.Net.Sockets;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>
/// What <c>backup daemon</c> tells systemd through sd_notify when <c>$NOTIFY_SOCKET</c> is set (docs/design.md,
/// "Running under systemd"): <c>READY=1</c> after the first pass, <c>STATUS=</c> with the last snapshot or error,
/// <c>WATCHDOG=1</c> every half of <c>$WATCHDOG_USEC</c> while the loop's <see cref="LoopHeartbeat"/> is alive (its
/// loop turns, or its snapshot's counters move), and
/// <c>STOPPING=1</c> when stopped. The datagrams go through Microsoft.Extensions.Hosting.Systemd's
/// <see cref="SystemdNotifier"/> (which also handles an abstract socket, <c>@name</c>). A datagram that cannot be sent
/// is logged at debug level and never stops the daemon. Dispose stops the watchdog's timer.
/// </summary>
internal sealed class ServiceNotifier : IDisposable
{
    private readonly SystemdNotifier _notifier = new();
    private readonly ILogger _logger;
    private readonly ITimer? _watchdog;
    private readonly TimeSpan _watchdogTimeout;
    private readonly LoopHeartbeat? _heartbeat;
    private bool _warned;
    private string? _status;

    private ServiceNotifier(CliContext context, ILogger logger)
    {
        _logger = logger;
        _watchdogTimeout = WatchdogTimeout(context) ?? TimeSpan.Zero;
        if (_watchdogTimeout > TimeSpan.Zero)
        {
            // The loop turns four times per timeout and pings go out twice (systemd's advice: at half the timeout).
            _heartbeat = new LoopHeartbeat(_watchdogTimeout / 4, context.Time);
            var half = _watchdogTimeout / 2;
            _watchdog = context.Time.CreateTimer(_ => PingWatchdog(), null, half, half);
        }
    }

    /// <summary>The notifier when the daemon runs under systemd (<c>$NOTIFY_SOCKET</c> set), else null.</summary>
    public static ServiceNotifier? Create(CliContext context, ILogger logger) =>
        string.IsNullOrEmpty(context.Variable("NOTIFY_SOCKET")) ? null : new ServiceNotifier(context, logger);

    /// <summary>The heartbeat the daemon loop must beat, when systemd set a watchdog; else null.</summary>
    public LoopHeartbeat? Heartbeat => _heartbeat;

    /// <summary>Sends <c>READY=1</c> with a first status line.</summary>
    public void Ready(string status)
    {
        _status = status;
        Send($"READY=1\nSTATUS={status}");
    }

    /// <summary>Sends <c>STATUS=</c>: one line, what <c>systemctl status</c> shows; the same line twice is sent once.</summary>
    public void Status(string status)
    {
        if (Interlocked.Exchange(ref _status, status) != status)
        {
            Send($"STATUS={status}");
        }
    }

    /// <summary>Sends <c>STOPPING=1</c>.</summary>
    public void Stopping() => Send("STOPPING=1\nSTATUS=stopping");

    /// <summary>The status line of a watch: the first failing path and why, else the newest snapshot.</summary>
    public static string Describe(IReadOnlyList<WatchStatus> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return "no directories are watched yet; add one with: backup add PATH";
        }
        var failing = paths.Where(p => p.LastError is not null).ToList();
        if (failing.Count > 0)
        {
            return $"failing: {Formatting.Path(failing[0].Path)}: {OneLine(failing[0].LastError!)} ({failing.Count} of {Quantity(paths.Count)} failing)";
        }
        var newest = paths.Where(p => p.LastSnapshotTime is not null).MaxBy(p => p.LastSnapshotTime);
        if (newest is null)
        {
            return $"watching {Quantity(paths.Count)}, no snapshot yet";
        }
        var snapshot = newest.LastSnapshot is { } id ? $"snapshot {id.ToString(CultureInfo.InvariantCulture)}" : "unchanged";
        return $"last snapshot: {Formatting.Path(newest.Path)}: {snapshot} at {Formatting.Time(newest.LastSnapshotTime!.Value)}; watching {Quantity(paths.Count)}";
    }

    /// <summary>The status line of an interval check.</summary>
    public static string Describe(CheckReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        var failed = report.Outcomes.FirstOrDefault(o => o.Status == PathStatus.Failed);
        if (failed is not null)
        {
            return $"failing: {Formatting.Path(failed.Path)}: {OneLine(failed.Error ?? "failed")} ({report.Failed} of {Quantity(report.Outcomes.Count)} failing)";
        }
        var archived = report.Outcomes.LastOrDefault(o => o.Status == PathStatus.Archived);
        return archived is { SnapshotId: { } id }
            ? $"last snapshot: {Formatting.Path(archived.Path)}: snapshot {id.ToString(CultureInfo.InvariantCulture)} at {Formatting.Time(now)}; watching {Quantity(report.Outcomes.Count)}"
            : $"checked {Quantity(report.Outcomes.Count)} at {Formatting.Time(now)}: no changes";
    }

    /// <inheritdoc/>
    public void Dispose() => _watchdog?.Dispose();

    /// <summary>$WATCHDOG_USEC, when set for this process ($WATCHDOG_PID unset or ours).</summary>
    private static TimeSpan? WatchdogTimeout(CliContext context)
    {
        if (context.Variable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }
        return long.TryParse(context.Variable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    private void PingWatchdog()
    {
        if (_heartbeat!.IsAlive(_watchdogTimeout / 2))
        {
            _warned = false;
            Send("WATCHDOG=1");
        }
        else if (!_warned)
        {
            _warned = true;
            _logger.LogError(
                "the daemon loop has not turned, or its snapshot has made no progress, for {Timeout}: no longer telling the watchdog that it is alive",
                _watchdogTimeout / 2);
        }
    }

    private void Send(string message)
    {
        try
        {
            _notifier.Notify(new ServiceState(message));
        }
        catch (SocketException e)
        {
            _logger.LogDebug("sd_notify to {Socket} failed: {Message}", Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), e.Message);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static string Quantity(int paths) => Formatting.Count(paths, "path");
}
