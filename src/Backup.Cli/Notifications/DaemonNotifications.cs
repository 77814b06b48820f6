using System.Threading.Channels;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Notifications;

/// <summary>
/// The daemon's notifications: feeds its loop's attempts and pending changes to an <see cref="AlertPolicy"/>, logs
/// each alert it decides, runs <c>--on-failure</c> / <c>--on-recovery</c> one at a time in order on a task of its own,
/// and queues it for the webhook. Nothing here blocks the loop or throws into it. A timer looks at the policy too,
/// for a loop that hangs and so reports nothing.
/// </summary>
internal sealed class DaemonNotifications : IAsyncDisposable
{
    private readonly AlertPolicy _policy;
    private readonly AlertCommand? _onFailure;
    private readonly AlertCommand? _onRecovery;
    private readonly WebhookSender? _webhook;
    private readonly string _host;
    private readonly ILogger _logger;
    private readonly Channel<Alert> _commands = Channel.CreateBounded<Alert>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly ITimer _timer;

    /// <summary>Starts the notifications; each of the commands and the webhook may be null.</summary>
    public DaemonNotifications(AlertPolicy policy, AlertCommand? onFailure, AlertCommand? onRecovery, WebhookSender? webhook, string host, TimeProvider time, ILogger logger)
    {
        _policy = policy;
        _onFailure = onFailure;
        _onRecovery = onRecovery;
        _webhook = webhook;
        _host = host;
        _logger = logger;
        _running = Task.Run(RunCommandsAsync);
        // Often enough to be on time to a tenth of the delay, never a busy timer.
        var every = TimeSpan.FromTicks(Math.Clamp(Math.Min(policy.AlertAfter.Ticks, policy.StaleAfter.Ticks) / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _timer = time.CreateTimer(_ => Dispatch(_policy.Tick()), null, every, every);
    }

    /// <summary>Takes in one attempt of the loop (its observer).</summary>
    public void Observe(SnapshotAttempt attempt) => Dispatch(_policy.Observe(attempt));

    /// <summary>Takes in the watch's state of every path (its status callback): their pending changes.</summary>
    public void Update(IReadOnlyList<WatchStatus> paths)
    {
        foreach (var path in paths)
        {
            Dispatch(_policy.Pending(path.Path, path.PendingChanges));
        }
        // A path removed from the catalog has no episode left to notify.
        var watched = paths.Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _watched.Where(p => !watched.Contains(p)))
        {
            _policy.Forget(gone);
        }
        _watched = watched;
    }

    private HashSet<string> _watched = [];

    private void Dispatch(IReadOnlyList<Alert> alerts)
    {
        foreach (var alert in alerts)
        {
            if (alert.Event == AlertEvent.Failure)
            {
                _logger.LogWarning("alert: {Path} is failing ({Kind}) since {Since:u}: {Error}", WebhookSender.Subject(alert), Name(alert.Kind), alert.Since, alert.Error);
            }
            else
            {
                _logger.LogInformation("alert: {Path} recovered with snapshot {Snapshot} after failing since {Since:u}", WebhookSender.Subject(alert), alert.Snapshot ?? "-", alert.Since);
            }
            _webhook?.Enqueue(alert);
            if ((alert.Event == AlertEvent.Failure ? _onFailure : _onRecovery) is not null && !_commands.Writer.TryWrite(alert))
            {
                _logger.LogError("alert: the commands have stopped; not run for {Path}", WebhookSender.Subject(alert));
            }
        }
    }

    private async Task RunCommandsAsync()
    {
        try
        {
            await foreach (var alert in _commands.Reader.ReadAllAsync(_stop.Token))
            {
                var command = alert.Event == AlertEvent.Failure ? _onFailure : _onRecovery;
                if (command is not null)
                {
                    await command.RunAsync(alert, _host, _stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    private static string Name(FailureKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Stops: the commands queued are given a few seconds to run, as the webhook's alerts are.</summary>
    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        _commands.Writer.TryComplete();
        if (await Task.WhenAny(_running, Task.Delay(TimeSpan.FromSeconds(5))) != _running)
        {
            await _stop.CancelAsync();
        }
        await _running;
        if (_webhook is not null)
        {
            await _webhook.DisposeAsync();
        }
        _stop.Dispose();
    }
}
