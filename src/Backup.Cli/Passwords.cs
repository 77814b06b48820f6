using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Backup.Core;

namespace Backup.Cli;

/// <summary>
/// Where a repository password comes from, in this order: <c>--password-file</c> or <c>$BACKUP_PASSWORD_FILE</c>,
/// <c>$BACKUP_PASSWORD</c>, <c>--password-command</c> (its first output line), a prompt when stdin is a terminal. Never
/// from an argument: every user could read it in <c>/proc/PID/cmdline</c>.
/// </summary>
internal static class Passwords
{
    /// <summary>Seconds the password command may take, unless <see cref="TimeoutVariable"/> says otherwise.</summary>
    /// <remarks>
    /// 60 s: long enough for a helper that asks a keyring or a smartcard, short enough that a hung helper does not hang
    /// the daemon for good.
    /// </remarks>
    public const int DefaultCommandTimeoutSeconds = 60;

    /// <summary>The variable that sets the password command's time limit in seconds (a positive integer).</summary>
    public const string TimeoutVariable = "BACKUP_PASSWORD_COMMAND_TIMEOUT";

    public static Option<string?> File { get; } = new("--password-file")
    {
        Description = "Read the repository password from this file [default: $BACKUP_PASSWORD_FILE]",
        HelpName = "FILE",
        Recursive = true,
    };

    public static Option<string?> Command { get; } = new("--password-command")
    {
        Description = "Run this command and use the first line it prints as the password (stopped after 60 s, or $BACKUP_PASSWORD_COMMAND_TIMEOUT seconds)",
        HelpName = "COMMAND",
        Recursive = true,
    };

    /// <summary>
    /// True when a password is configured (a file, a variable or a command; not a prompt, which is asked only when a
    /// key needs it): the repository must then be one that this password opens.
    /// </summary>
    public static bool IsConfigured(CliContext context, ParseResult parse) =>
        parse.GetValue(File) is not null || NonEmpty(context.Variable("BACKUP_PASSWORD_FILE")) is not null
        || NonEmpty(context.Variable("BACKUP_PASSWORD")) is not null || parse.GetValue(Command) is not null;

    /// <summary>The password, or a <see cref="BackupException"/> saying how to give one.</summary>
    public static string Read(CliContext context, ParseResult parse, bool confirm = false)
    {
        var file = parse.GetValue(File) ?? NonEmpty(context.Variable("BACKUP_PASSWORD_FILE"));
        if (file is not null)
        {
            return FromFile(context, context.FullPath(file));
        }
        if (NonEmpty(context.Variable("BACKUP_PASSWORD")) is { } fromEnvironment)
        {
            return fromEnvironment;
        }
        if (parse.GetValue(Command) is { } command)
        {
            return FromCommand(command, CommandTimeout(context));
        }
        if (!Console.IsInputRedirected)
        {
            return Prompt(context, "enter repository password: ", confirm);
        }
        throw new BackupException("a repository password is needed: give --password-file, $BACKUP_PASSWORD_FILE, $BACKUP_PASSWORD or --password-command", ExitCodes.Usage);
    }

    /// <summary>
    /// Where a new password (<c>key add</c>, <c>key passwd</c>) comes from: <paramref name="file"/> (read now, so that a
    /// bad one fails before the repository is opened), else a prompt on a terminal, asked twice when the returned
    /// function is called. Never from an argument or from the variables that give the current password.
    /// </summary>
    public static Func<string> New(CliContext context, string? file)
    {
        if (file is not null)
        {
            var fromFile = FromFile(context, context.FullPath(file), "new password file");
            return () => fromFile;
        }
        if (Console.IsInputRedirected)
        {
            throw new BackupException("a new password is needed: give --new-password-file FILE, or run on a terminal to be asked for it", ExitCodes.Usage);
        }
        return () => Prompt(context, "enter the new password: ", confirm: true);
    }

    private static string FromFile(CliContext context, string path, string what = "password file")
    {
        if (Directory.Exists(path))
        {
            throw new BackupException($"{what} is a folder, not a file: {path}");
        }
        if (!System.IO.File.Exists(path))
        {
            throw new BackupException($"{what} does not exist: {path}");
        }
        var mode = System.IO.File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            context.Error.WriteLine($"backup: warning: {what} {path} can be read by other users (chmod 600 it)");
        }
        var text = System.IO.File.ReadAllText(path);
        var line = text.Split('\n')[0].TrimEnd('\r');
        return line.Length > 0 ? line : throw new BackupException($"{what} is empty: {path}");
    }

    private static TimeSpan CommandTimeout(CliContext context)
    {
        var text = NonEmpty(context.Variable(TimeoutVariable));
        if (text is null)
        {
            return TimeSpan.FromSeconds(DefaultCommandTimeoutSeconds);
        }
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new BackupException($"${TimeoutVariable} must be a whole number of seconds above 0", ExitCodes.Usage);
    }

    /// <summary>
    /// The first line <paramref name="command"/> prints. A command still running (or whose output is still open, held
    /// by a child) after <paramref name="timeout"/> is killed with every process it started, and the password is
    /// refused. Messages name the command, never what it printed.
    /// </summary>
    private static string FromCommand(string command, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = new Process { StartInfo = info };
        using var ended = new ManualResetEventSlim();
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ended.Set();
                return;
            }
            lock (output)
            {
                output.Append(e.Data).Append('\n');
            }
        };
        if (!process.Start())
        {
            throw new BackupException($"could not run the password command: {command}");
        }
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        // Both the process and its output: a child that keeps the pipe open would otherwise hang the read.
        if (!process.WaitForExit(timeout) || !ended.Wait(Remaining(timeout, clock)))
        {
            process.Kill(entireProcessTree: true);
            throw new BackupException(
                $"the password command did not finish within {timeout.TotalSeconds:0} s and was stopped (${TimeoutVariable} sets the limit): {command}");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new BackupException($"the password command failed with exit code {process.ExitCode}: {command}");
        }
        string text;
        lock (output)
        {
            text = output.ToString();
        }
        var line = text.Split('\n')[0].TrimEnd('\r');
        return line.Length > 0 ? line : throw new BackupException($"the password command printed nothing: {command}");
    }

    private static TimeSpan Remaining(TimeSpan timeout, Stopwatch clock) =>
        clock.Elapsed < timeout ? timeout - clock.Elapsed : TimeSpan.Zero;

    private static string Prompt(CliContext context, string prompt, bool confirm)
    {
        var first = ReadHidden(context, prompt);
        if (confirm && ReadHidden(context, "enter it again: ") != first)
        {
            throw new BackupException("the passwords do not match");
        }
        return first.Length > 0 ? first : throw new BackupException("empty password");
    }

    private static string ReadHidden(CliContext context, string prompt)
    {
        context.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
                continue;
            }
            text.Append(key.KeyChar);
        }
        context.Error.WriteLine();
        return text.ToString();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
