using System.CommandLine;
using System.Globalization;
using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup restore SNAPSHOT --target DIR</c>: extract a snapshot given by catalog id, by the path of its zip, or, with
/// <c>--archive</c> naming a repository, by its repository id (or a unique prefix).
/// </summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext context)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "A catalog id (see 'backup snapshots'), the path of a .zip, or a repository snapshot id" };
        var target = new Option<string>("--target") { Description = "Where to restore: an empty or absent directory", HelpName = "DIR", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Restore into a non-empty directory, replacing files of the same name" };
        var include = new Option<string[]>("--include")
        {
            Description = "Restore only paths matching this pattern (* and ?; a matching directory brings its content); repeatable",
            HelpName = "GLOB",
        };
        var archive = GlobalOptions.Archive();
        var command = new Command("restore", "Restore a snapshot into a directory") { snapshot, target, overwrite, include, archive };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var destination = context.FullPath(parse.GetValue(target)!);
            var options = new RestoreOptions
            {
                Overwrite = parse.GetValue(overwrite),
                Include = parse.GetValue(include) ?? [],
                RestoreOwners = Environment.IsPrivilegedProcess,
            };
            var (root, name) = Locate(context, parse.GetValue(GlobalOptions.Db), parse.GetValue(archive), parse.GetValue(snapshot)!);
            RestoreResult result;
            if (root is not null)
            {
                await using var open = await OpenRepository.OpenAsync(context, parse, root, RepositoryAccess.Shared, "restore", cancellationToken);
                result = await new RepositoryArchiver(open.Repository).RestoreAsync(name, destination, options, cancellationToken);
            }
            else
            {
                result = await new ZipArchiver(Path.GetDirectoryName(name)!).RestoreAsync(name, destination, options, cancellationToken);
            }
            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine($"backup: warning: {warning}");
            }
            foreach (var failure in result.Failures)
            {
                context.Error.WriteLine($"backup: error: could not restore {Formatting.Path(Path.Join(destination, failure.Path))}: {failure.Reason}");
            }
            context.Output.WriteLine(
                $"restored {Formatting.Count(result.Files, "file")}, {Formatting.Count(result.Directories, "directory", "directories")}, {Formatting.Count(result.Symlinks, "symlink")} ({Formatting.Bytes(result.Bytes)}) to {Formatting.Path(destination)}");
            if (result.Failures.Count > 0)
            {
                context.Error.WriteLine($"backup: restore incomplete: {Formatting.Count(result.Failures.Count, "entry", "entries")} could not be read from the archive and {(result.Failures.Count == 1 ? "was" : "were")} left out");
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The repository root and snapshot id, or (null, zip path).</summary>
    private static (string? Repository, string Name) Locate(CliContext context, string? dbOption, string? archiveOption, string snapshot)
    {
        var db = context.CatalogPath(dbOption);
        if (archiveOption is not null && Stores.HoldsRepository(context.ArchivePath(archiveOption, db)))
        {
            return (context.ArchivePath(archiveOption, db), snapshot);
        }
        string path;
        if (long.TryParse(snapshot, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            using var catalog = CatalogStore.Open(db, create: false);
            var record = catalog.FindSnapshot(id)
                ?? throw new BackupException($"no snapshot {id} in catalog {db} (see 'backup snapshots', or give the path of a .zip)");
            path = record.Archive;
            if (Stores.IsRemote(path))
            {
                // URL/snapshots/id: opening the repository says whether it still holds it.
                return (CatalogStore.DestinationOf(path), CatalogStore.NameOf(path));
            }
            if (!File.Exists(path))
            {
                // The catalog is a cache of the destinations: a snapshot that is gone from one is dropped, and said so.
                var refresh = CatalogRefresh.Run(catalog, [record]);
                var where = CatalogStore.DestinationOf(path);
                throw new BackupException(refresh.Dropped.Count > 0
                    ? $"snapshot {id} no longer exists: {Formatting.Path(path)} was removed (by forget or by hand); it is no longer listed"
                    : Stores.HoldsRepository(where)
                        ? $"snapshot {id} is not in the repository at {Formatting.Path(where)} (forgotten, or another repository is there); 'backup snapshots --archive {where}' lists what it holds"
                        : $"snapshot {id}: its destination {Formatting.Path(where)} cannot be found (is its disk mounted?)");
            }
        }
        else
        {
            path = context.FullPath(snapshot);
        }
        // A repository snapshot's archive is <repository>/snapshots/<id>.
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && Path.GetFileName(parent) == "snapshots" && Stores.HoldsRepository(Path.GetDirectoryName(parent)!))
        {
            return (Path.GetDirectoryName(parent)!, Path.GetFileName(path));
        }
        if (!File.Exists(path))
        {
            throw new BackupException(long.TryParse(snapshot, out _) ? $"snapshot {snapshot}: its archive is missing: {path}" : $"no such snapshot id or archive file: {snapshot}");
        }
        return (null, path);
    }
}
