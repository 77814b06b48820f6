using System.ComponentModel;
using System.Diagnostics;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Notifications;

/// <summary>
/// The program of <c>--on-failure</c> or <c>--on-recovery</c>, run directly (never by a shell) with the alert in
/// <c>BACKUP_*</c> variables, its standard input empty, its output logged line by line, and killed with its children
/// when it runs longer than the timeout. Whatever it does is logged; nothing it does throws.
/// </summary>
internal sealed class AlertCommand(string option, IReadOnlyList<string> words, TimeSpan timeout, ILogger logger)
{
    // Secrets the daemon may hold in its environment: the command gets the alert, not the keys (docs/design.md).
    private static readonly string[] s_withheld = ["BACKUP_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

    // A chatty script must not fill the journal.
    private const int MaxLoggedLines = 50;

    /// <summary>The option it came from, for the log: <c>--on-failure</c> or <c>--on-recovery</c>.</summary>
    public string Option { get; } = option;

    /// <summary>Runs the program for <paramref name="alert"/> and waits for it (at most the timeout); returns its exit code, or null if it did not end by itself.</summary>
    public async Task<int?> RunAsync(Alert alert, string host, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(words[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var word in words.Skip(1))
        {
            start.ArgumentList.Add(word);
        }
        foreach (var name in s_withheld)
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in AlertMessage.Environment(alert, host))
        {
            start.Environment[name] = value;
        }
        using var process = new Process { StartInfo = start };
        var lines = 0;
        void Line(string? line)
        {
            if (line is not null && Interlocked.Increment(ref lines) <= MaxLoggedLines)
            {
                logger.LogInformation("{Option}: {Line}", Option, line);
            }
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            logger.LogError("{Option}: cannot run {Program}: {Message}", Option, words[0], e.Message);
            return null;
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it ended meanwhile
            }
            await process.WaitForExitAsync(CancellationToken.None);
            logger.LogError("{Option}: {Program} was killed after running for {Timeout}", Option, words[0], timeout);
            return null;
        }
        if (lines > MaxLoggedLines)
        {
            logger.LogInformation("{Option}: {Lines} more lines not logged", Option, lines - MaxLoggedLines);
        }
        if (process.ExitCode != 0)
        {
            logger.LogError("{Option}: {Program} failed with exit code {Code}", Option, words[0], process.ExitCode);
        }
        else
        {
            logger.LogInformation("{Option}: {Program} ran for the {Event} of {Path}", Option, words[0], alert.Event.ToString().ToLowerInvariant(), alert.Path ?? "the destination");
        }
        return process.ExitCode;
    }
}
