using System.CommandLine;
using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup unlock --archive DIR [--remove-all]</c>: removes the locks whose holders are gone (the rule every command
/// applies: this host and pid namespace and a dead pid, another host or pid namespace and not refreshed for 30 minutes,
/// or unreadable and 30 minutes old),
/// or with <c>--remove-all</c> every lock, naming each one before it goes.
/// </summary>
internal static class UnlockCommand
{
    public static Command Create(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var all = new Option<bool>("--remove-all")
        {
            Description = "Remove every lock, those of processes that may still run included",
        };
        var command = new Command("unlock", "Remove stale locks from the repository") { archive, all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.KeysOnly, "unlock", cancellationToken);
            var repository = open.Repository;
            var removeAll = parse.GetValue(all);
            int removed = 0, kept = 0;
            foreach (var found in await RepositoryLock.ListAsync(repository, context.Time, cancellationToken))
            {
                var description = Describe(context, found);
                if (found.IsStale || removeAll)
                {
                    context.Output.WriteLine($"removing {(found.IsStale ? "stale " : "")}lock {description}");
                    await RepositoryLock.RemoveAsync(repository, found.Name, cancellationToken);
                    removed++;
                }
                else
                {
                    context.Output.WriteLine($"kept lock {description}: its holder may still be running (--remove-all removes it)");
                    kept++;
                }
            }
            context.Output.WriteLine($"removed {Formatting.Count(removed, "lock")}, kept {kept}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Describe(CliContext context, StoredLock found)
    {
        var name = found.Name[..Math.Min(8, found.Name.Length)];
        if (found.Lock is not { } l)
        {
            return $"{name}: unreadable (damaged, or not of this repository)";
        }
        var age = Formatting.Age(context.Time.GetUtcNow() - l.Time);
        return $"{name}: pid {l.Pid} on {l.Host} ({l.Operation}{(l.Exclusive ? ", exclusive" : "")}), last refreshed {age} ago";
    }
}
