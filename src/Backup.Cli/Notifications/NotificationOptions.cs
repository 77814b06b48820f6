using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Notifications;

/// <summary>
/// The notification options of <c>backup daemon</c>: <c>--on-failure CMD</c>, <c>--on-recovery CMD</c>,
/// <c>--webhook URL</c> and <c>--alert-after DURATION</c>, each checked when parsed (a usage error, exit 2).
/// </summary>
internal sealed class NotificationOptions
{
    // A hook that hangs is killed: it must not pile up behind every later alert.
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(30);

    private readonly Option<string?> _onFailure = Command("--on-failure", "failing (its snapshots fail, its destination or the catalog cannot be used, or its changes wait)");
    private readonly Option<string?> _onRecovery = Command("--on-recovery", "safe in a snapshot again after a failure was notified");
    private readonly Option<Uri?> _webhook = new("--webhook")
    {
        Description = "POST each failure and recovery as JSON to this http:// or https:// URL (queued, retried, never delaying a snapshot)",
        HelpName = "URL",
        CustomParser = ParseUrl,
    };
    private readonly Option<TimeSpan?> _alertAfter = new("--alert-after")
    {
        Description = "Notify a failing path once it has had no successful snapshot for this long: 0, 30s, 10m, 1h, 2d (default 1h with --watch, "
            + "where a failed snapshot is retried every 10s; 0 without, where each check is one attempt)",
        HelpName = "DURATION",
        CustomParser = ParseAlertAfter,
    };

    /// <summary>Every option, to add to the command.</summary>
    public IEnumerable<Option> All => [_onFailure, _onRecovery, _webhook, _alertAfter];

    /// <summary>
    /// The notifications the command line asks for, or null when it names no command and no webhook. In watch mode,
    /// changes waiting with no failure are notified after the alert delay but never before 6 × <paramref name="maxDelay"/>.
    /// </summary>
    public DaemonNotifications? Create(ParseResult parse, bool watch, TimeSpan maxDelay, CliContext context, ILoggerFactory loggers)
    {
        var onFailure = parse.GetValue(_onFailure);
        var onRecovery = parse.GetValue(_onRecovery);
        var webhook = parse.GetValue(_webhook);
        if (onFailure is null && onRecovery is null && webhook is null)
        {
            return null;
        }
        var alertAfter = parse.GetValue(_alertAfter) ?? (watch ? TimeSpan.FromHours(1) : TimeSpan.Zero);
        var staleAfter = watch ? TimeSpan.FromTicks(Math.Max(alertAfter.Ticks, maxDelay.Ticks * 6)) : TimeSpan.MaxValue;
        var logger = loggers.CreateLogger<DaemonNotifications>();
        var host = Environment.MachineName;
        return new DaemonNotifications(
            new AlertPolicy(alertAfter, staleAfter, context.Time),
            onFailure is null ? null : new AlertCommand("--on-failure", CommandWords.Split(onFailure), s_commandTimeout, logger),
            onRecovery is null ? null : new AlertCommand("--on-recovery", CommandWords.Split(onRecovery), s_commandTimeout, logger),
            webhook is null ? null : new WebhookSender(webhook, host, logger, context.Time),
            host,
            context.Time,
            logger);
    }

    private static Option<string?> Command(string name, string when)
    {
        var option = new Option<string?>(name)
        {
            Description = $"Run this program when a watched path is {when}; its words are split as a shell would, "
                + "with nothing expanded and no shell run; the event is in BACKUP_EVENT, BACKUP_PATH, BACKUP_KIND, BACKUP_ERROR, BACKUP_SNAPSHOT, BACKUP_SINCE",
            HelpName = "CMD",
        };
        option.Validators.Add(result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            try
            {
                CommandWords.Split(text);
            }
            catch (FormatException e)
            {
                result.AddError($"invalid {name} '{text}': {e.Message}");
            }
        });
        return option;
    }

    /// <summary>An absolute http or https URL; anything else is a usage error naming it.</summary>
    internal static Uri? ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Host.Length > 0)
        {
            return url;
        }
        result.AddError($"invalid --webhook '{text}': give an http:// or https:// URL, such as https://example.org/hooks/backup");
        return null;
    }

    // Past 30 days a timer cannot wait, and nobody means it.
    private static readonly TimeSpan s_longest = TimeSpan.FromDays(30);

    /// <summary>Parses 0, 30s, 10m, 1h, 2d or plain seconds, up to 30 days; anything else is a usage error.</summary>
    internal static TimeSpan? ParseAlertAfter(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        var (number, unit) = text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : text.EndsWith('d') ? (text[..^1], 86400.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * unit > s_longest.TotalSeconds)
        {
            result.AddError($"invalid --alert-after '{text}': use a duration from 0 to 30 days, such as 0, 30s, 10m, 1h or 2d");
            return null;
        }
        return TimeSpan.FromSeconds(value * unit);
    }
}
