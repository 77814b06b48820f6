using System.CommandLine;
using System.Globalization;
using Backup.Core;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Restore;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --target DIR</c>: extract a snapshot, given by catalog id or as the path of its zip.</summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext context)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "A snapshot id (see 'backup snapshots') or the path of a .zip archive" };
        var target = new Option<string>("--target") { Description = "Where to restore: an empty or absent directory", HelpName = "DIR", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Restore into a non-empty directory, replacing files of the same name" };
        var command = new Command("restore", "Restore a snapshot into a directory") { snapshot, target, overwrite };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var archive = Locate(context, parse.GetValue(GlobalOptions.Db), parse.GetValue(snapshot)!);
            var destination = context.FullPath(parse.GetValue(target)!);
            var options = new RestoreOptions { Overwrite = parse.GetValue(overwrite) };
            var archiver = new ZipArchiver(Path.GetDirectoryName(archive)!);
            var result = await archiver.RestoreAsync(archive, destination, options, cancellationToken);
            context.Output.WriteLine(
                $"restored {Formatting.Count(result.Files, "file")}, {Formatting.Count(result.Directories, "directory", "directories")}, {Formatting.Count(result.Symlinks, "symlink")} ({Formatting.Bytes(result.Bytes)}) to {Formatting.Path(destination)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Locate(CliContext context, string? dbOption, string snapshot)
    {
        if (long.TryParse(snapshot, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var db = context.CatalogPath(dbOption);
            using var catalog = CatalogStore.Open(db, create: false);
            var record = catalog.FindSnapshot(id)
                ?? throw new BackupException($"no snapshot {id} in catalog {db} (see 'backup snapshots', or give the path of a .zip)");
            if (!File.Exists(record.Archive))
            {
                throw new BackupException($"snapshot {id}: its archive is missing: {record.Archive}");
            }
            return record.Archive;
        }
        var path = context.FullPath(snapshot);
        if (!File.Exists(path))
        {
            throw new BackupException($"no such snapshot id or archive file: {snapshot}");
        }
        return path;
    }
}
