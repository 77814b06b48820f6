using System.CommandLine;
using System.Runtime.InteropServices;
using Backup.Cli;
using Backup.Cli.Commands;
using Backup.Core;
using Microsoft.Data.Sqlite;

// The one place where the command line is composed and where failures become exit codes.
using var cancel = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var context = new CliContext(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
var root = new RootCommand("backup: watch directories and keep a snapshot of each change, as zip files or in a deduplicating repository")
{
    GlobalOptions.Db,
    Passwords.File,
    Passwords.Command,
    GlobalOptions.S3Endpoint,
    GlobalOptions.S3Region,
    GlobalOptions.SshIdentity,
};
root.Subcommands.Add(InitCommand.Create(context));
root.Subcommands.Add(AddCommand.Create(context));
root.Subcommands.Add(ListCommand.Create(context));
root.Subcommands.Add(RemoveCommand.Create(context));
root.Subcommands.Add(RunCommand.Create(context));
root.Subcommands.Add(DaemonCommand.Create(context));
root.Subcommands.Add(StatusCommand.Create(context));
root.Subcommands.Add(SnapshotsCommand.Create(context));
root.Subcommands.Add(RestoreCommand.Create(context));
root.Subcommands.Add(DumpCommand.Create(context));
root.Subcommands.Add(FindCommand.Create(context));
foreach (var command in RepositoryCommands.Create(context))
{
    root.Subcommands.Add(command);
}
root.Subcommands.Add(KeyCommand.Create(context));
root.Subcommands.Add(UnlockCommand.Create(context));
root.Subcommands.Add(ServiceCommand.Create(context));

var parse = root.Parse(args);
var usage = UsageErrors.Of(parse);
if (usage.Count > 0)
{
    foreach (var error in usage)
    {
        Console.Error.WriteLine($"backup: {error}");
    }
    if (parse.Errors.Count > 0 && !usage[0].StartsWith("unknown ", StringComparison.Ordinal))
    {
        Console.Error.WriteLine("Try 'backup --help' for more information.");
    }
    return ExitCodes.Usage;
}
if (parse.Action is System.CommandLine.Help.HelpAction)
{
    return HelpText.Print(parse, Console.Out);
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancel.Token);
}
catch (OperationCanceledException e) when (cancel.IsCancellationRequested)
{
    var outcome = e is Backup.Core.Restore.RestoreInterruptedException restore ? restore.Outcome : "nothing partial was left behind";
    Console.Error.WriteLine($"backup: interrupted; {outcome}");
    return ExitCodes.Interrupted;
}
catch (Backup.Core.Encryption.WrongPasswordException e)
{
    Console.Error.WriteLine($"backup: {e.Message}");
    return ExitCodes.WrongPassword;
}
catch (BackupException e)
{
    Console.Error.WriteLine($"backup: {e.Message}");
    return e.ExitCode;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or SqliteException)
{
    Console.Error.WriteLine($"backup: {e.Message}");
    return ExitCodes.Failure;
}
catch (Exception e)
{
    // A bug, not an expected failure: one line for the user, the details only when asked for.
    Console.Error.WriteLine($"backup: internal error: {e.GetType().Name}: {e.Message}");
    if (Environment.GetEnvironmentVariable("BACKUP_LOG") == "debug")
    {
        Console.Error.WriteLine(e);
    }
    else
    {
        Console.Error.WriteLine("backup: run again with BACKUP_LOG=debug for details, and please report it");
    }
    return ExitCodes.Failure;
}

void Stop(PosixSignalContext signal)
{
    signal.Cancel = true; // do not kill the process: let cancellation remove partial files and exit cleanly
    cancel.Cancel();
}
