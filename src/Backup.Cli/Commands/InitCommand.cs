using System.CommandLine;
using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary><c>backup init --archive DIR</c>: make DIR a deduplicating, encrypted repository.</summary>
internal static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var noEncryption = new Option<bool>("--no-encryption")
        {
            Description = "Make a repository without a password: data is still checked, but anyone who can read the folder can read it",
        };
        var command = new Command("init", "Make the archive folder a deduplicating, compressed, encrypted repository") { archive, noEncryption };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            var root = context.ArchivePath(parse.GetValue(archive), db);
            var password = parse.GetValue(noEncryption) ? null : Passwords.Read(context, parse, confirm: true);
            RepositoryIdentity identity;
            using (var store = Stores.Open(StoreSettings.From(context, parse), root))
            {
                identity = await Repository.InitAsync(store, password, kdf: null, context.Time, cancellationToken);
            }
            try
            {
                // Remembered from the start: a key and config planted later, before any backup, are refused too.
                using var catalog = CatalogStore.Open(db);
                catalog.RecordRepository(CliContext.Canonical(root), identity, context.Time.GetUtcNow(), created: true);
            }
            catch (BackupException e)
            {
                context.Error.WriteLine($"backup: warning: the repository was created, but the catalog could not record it: {e.Message}");
            }
            context.Output.WriteLine($"created repository {Formatting.Path(root)}{(password is null ? " without encryption" : "")}");
            context.Output.WriteLine(password is null
                ? "from now on run, daemon, snapshots and restore with this --archive use it; it has no password: anyone who can read the folder can read the data"
                : "from now on run, daemon, snapshots and restore with this --archive use it; keep the password safe: without it the data cannot be read");
            return ExitCodes.Ok;
        });
        return command;
    }
}
