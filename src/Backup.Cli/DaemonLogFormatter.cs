using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Backup.Cli;

/// <summary>
/// The daemon's log line as a user reads it: <c>2026-12-01 16:40:02 info: /home/me/work: snapshot 3b1e5fa8, …</c>, local
/// time, no category or event id (the simple console formatter always writes <c>Backup.Core.Monitoring.Daemon[0]</c>).
/// With BACKUP_LOG=debug the category follows the level, for whoever reads the code, and an exception follows on its
/// own lines. Under systemd (<paramref name="journal"/>: <c>$JOURNAL_STREAM</c> set) a line is <c>&lt;6&gt;/home/me/work: snapshot …</c>
/// instead: journald reads the syslog priority from the prefix and stamps the time itself (sd-daemon(3)).
/// </summary>
internal sealed class DaemonLogFormatter(TimeProvider time, bool showCategory, bool journal = false) : ConsoleFormatter(FormatterName)
{
    /// <summary>The name the console logger is told to use.</summary>
    public const string FormatterName = "backup";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }
        var category = showCategory ? $" {logEntry.Category}:" : "";
        if (journal)
        {
            var priority = $"<{Priority(logEntry.LogLevel)}>";
            var text = $"{category.TrimStart()} {message}".TrimStart() + (logEntry.Exception is { } error ? $"\n{error}" : "");
            foreach (var line in text.Split('\n'))
            {
                textWriter.Write($"{priority}{line}\n");
            }
            return;
        }
        var stamp = time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        textWriter.Write($"{stamp} {Level(logEntry.LogLevel)}:{category} {message}\n");
        if (logEntry.Exception is { } e)
        {
            textWriter.Write($"{e}\n");
        }
    }

    /// <summary>The syslog priority journald files a line under: 3 err, 4 warning, 6 info, 7 debug.</summary>
    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        LogLevel.Critical => 2,
        _ => 6,
    };

    /// <summary>The four-letter levels that .NET's own console formatters use.</summary>
    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => level.ToString().ToLowerInvariant(),
    };
}
