using System.CommandLine;
using System.Globalization;
using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup key list|add|remove|passwd --archive DIR</c>: the passwords of a repository, one key file each, all
/// wrapping the same master key. Each opens the repository with the current password from the usual sources; a new
/// password comes only from <c>--new-password-file</c> or a terminal prompt.
/// </summary>
internal static class KeyCommand
{
    public static Command Create(CliContext context) =>
        new("key", "List, add, remove or change the passwords of a repository")
        {
            List(context), Add(context), Remove(context), Passwd(context),
        };

    private static Command List(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print JSON lines: one object per key";
        var command = new Command("list", "List the keys of the repository; '*' marks the one the password opened") { archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.KeysOnly, "key list", cancellationToken);
            var repository = open.Repository;
            if (parse.GetValue(json))
            {
                foreach (var (id, key) in await repository.ListKeysAsync(cancellationToken))
                {
                    WriteJson(context.Output, id, key, id == repository.KeyId);
                }
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"  {"ID",-8}  {"KDF",-8}  {"PARAMETERS",-20}  CREATED");
            foreach (var (id, key) in await repository.ListKeysAsync(cancellationToken))
            {
                var mark = id == repository.KeyId ? '*' : ' ';
                var created = key.Created is { } time ? Formatting.Time(time) : "-";
                context.Output.WriteLine($"{mark} {id[..8]}  {key.Kdf,-8}  {Parameters(key),-20}  {created}");
            }
            context.Output.WriteLine("* opened the repository");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var newPasswordFile = NewPasswordFile();
        var command = new Command("add", "Add a password: a new key for the same data, the others keep working") { archive, newPasswordFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var newPassword = Passwords.New(context, parse.GetValue(newPasswordFile));
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.SharedKeys, "key add", cancellationToken);
            var repository = open.Repository;
            var id = await repository.AddKeyAsync(newPassword(), kdf: null, context.Time.GetUtcNow(), cancellationToken);
            var count = (await repository.ListKeysAsync(cancellationToken)).Count;
            context.Output.WriteLine($"added key {id[..8]}; the repository has {Formatting.Count(count, "key")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var id = new Argument<string>("ID") { Description = "The key's id or a unique prefix of at least 4 digits (see 'backup key list')" };
        var archive = GlobalOptions.Archive();
        var command = new Command("remove", "Remove a key, so that its password no longer opens the repository (exclusive lock)") { id, archive };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.ExclusiveKeys, "key remove", cancellationToken);
            var repository = open.Repository;
            var removed = await repository.RemoveKeyAsync(parse.GetValue(id)!, cancellationToken);
            context.Output.WriteLine($"removed key {removed[..8]}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Passwd(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var newPasswordFile = NewPasswordFile();
        var command = new Command("passwd", "Change the password: add a key for the new one, then remove the key that opened the repository (exclusive lock)")
        {
            archive, newPasswordFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var newPassword = Passwords.New(context, parse.GetValue(newPasswordFile));
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.ExclusiveKeys, "key passwd", cancellationToken);
            var repository = open.Repository;
            var (added, removed) = await repository.ChangePasswordAsync(newPassword(), kdf: null, context.Time.GetUtcNow(), cancellationToken);
            context.Output.WriteLine($"changed the password: added key {added[..8]}, removed key {removed[..8]}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<string?> NewPasswordFile() => new("--new-password-file")
    {
        Description = "Read the new password from the first line of this file [default: ask twice on the terminal]",
        HelpName = "FILE",
    };

    private static void WriteJson(TextWriter output, string id, KeyFile key, bool current) =>
        JsonLines.Write(output, w =>
        {
            w.WriteString("id", id);
            w.WriteString("kdf", key.Kdf);
            if (key.Kdf != KeyFile.None)
            {
                w.WriteNumber("memory_kib", key.MemoryKiB);
                w.WriteNumber("iterations", key.Iterations);
                w.WriteNumber("parallelism", key.Parallelism);
            }
            if (key.Created is { } created)
            {
                w.WriteString("created", created);
            }
            else
            {
                w.WriteNull("created");
            }
            w.WriteBoolean("current", current);
        });

    private static string Parameters(KeyFile key) => key.Kdf == KeyFile.None
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"m={key.MemoryKiB} t={key.Iterations} p={key.Parallelism}");
}
