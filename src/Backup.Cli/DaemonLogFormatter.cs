using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Backup.Cli;

/// <summary>
/// The daemon's log line as a user reads it: <c>2026-12-01 16:40:02 info: /home/me/work: snapshot 3b1e5fa8, …</c>, local
/// time, no category or event id (the simple console formatter always writes <c>Backup.Core.Monitoring.Daemon[0]</c>).
/// With BACKUP_LOG=debug the category follows the level, for whoever reads the code, and an exception follows on its
/// own lines.
/// </summary>
internal sealed class DaemonLogFormatter(TimeProvider time, bool showCategory) : ConsoleFormatter(FormatterName)
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
        var stamp = time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var category = showCategory ? $" {logEntry.Category}:" : "";
        textWriter.Write($"{stamp} {Level(logEntry.LogLevel)}:{category} {message}\n");
        if (logEntry.Exception is { } e)
        {
            textWriter.Write($"{e}\n");
        }
    }

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
