using System.CommandLine;
using System.Globalization;
using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Posix;
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
        var snapshot = new Argument<string>("SNAPSHOT") { Description = SnapshotReference.Help + ", or the path of a .zip" };
        var target = new Option<string>("--target") { Description = "Where to restore: an empty or absent directory", HelpName = "DIR", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Restore into a non-empty directory, replacing files of the same name" };
        var include = new Option<string[]>("--include")
        {
            Description = "Restore only paths matching this pattern (* and ?; a matching directory brings its content); repeatable",
            HelpName = "GLOB",
        };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print one JSON object: the target, the snapshot and what was restored";
        var quiet = GlobalOptions.Quiet();
        var command = new Command("restore", "Restore a snapshot into a directory") { snapshot, target, overwrite, include, archive, json, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var destination = context.FullPath(parse.GetValue(target)!);
            var options = new RestoreOptions
            {
                Overwrite = parse.GetValue(overwrite),
                Include = parse.GetValue(include) ?? [],
                RestoreOwners = Environment.IsPrivilegedProcess,
            };
            var text = parse.GetValue(snapshot)!;
            var resolver = new SnapshotResolver(context, parse, archive);
            var (inRepository, zip) = Locate(context, resolver, parse.GetValue(GlobalOptions.Db), text);
            var made = CheckTarget(destination);
            RestoreResult result;
            string? restoredId = null;
            if (inRepository is not null)
            {
                await using var open = await OpenRepository.OpenAsync(context, parse, inRepository.Root, RepositoryAccess.Shared, "restore", cancellationToken);
                var (id, _) = await resolver.FindAsync(open.Repository, inRepository, cancellationToken);
                await using var progress = ProgressDisplay.Start(context, parse.GetValue(quiet));
                result = await new RepositoryArchiver(open.Repository).RestoreAsync(id, destination, options with { Progress = progress.Counters }, cancellationToken);
                restoredId = id;
            }
            else
            {
                await using var progress = ProgressDisplay.Start(context, parse.GetValue(quiet));
                result = await new ZipArchiver(Path.GetDirectoryName(zip)!).RestoreAsync(zip!, destination, options with { Progress = progress.Counters }, cancellationToken);
            }
            if (options.Include.Count > 0 && result.Files + result.Directories + result.Symlinks == 0 && result.Failures.Count == 0)
            {
                RemoveEmpty(destination, made);
                throw new BackupException($"nothing in snapshot '{text}' matches --include {string.Join(" --include ", options.Include.Select(i => $"'{i}'"))}: nothing was restored ({(zip is null ? $"'backup ls {text}'" : "unzip -l")} lists its paths)");
            }
            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine($"backup: warning: {warning}");
            }
            foreach (var failure in result.Failures)
            {
                context.Error.WriteLine($"backup: error: could not restore {Formatting.Path(Path.Join(destination, failure.Path))}: {failure.Reason}");
            }
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, destination, restoredId, zip, result);
            }
            else
            {
                context.Output.WriteLine(
                    $"restored {Formatting.Count(result.Files, "file")}, {Formatting.Count(result.Directories, "directory", "directories")}, {Formatting.Count(result.Symlinks, "symlink")} ({Formatting.Bytes(result.Bytes)}) to {Formatting.Path(destination)}");
            }
            if (result.Failures.Count > 0)
            {
                context.Error.WriteLine($"backup: restore incomplete: {Formatting.Count(result.Failures.Count, "entry", "entries")} could not be read from the archive and {(result.Failures.Count == 1 ? "was" : "were")} left out");
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteJson(TextWriter output, string target, string? id, string? zip, RestoreResult result) =>
        JsonLines.Write(output, w =>
        {
            w.WriteString("target", target);
            w.WriteString("snapshot", id);
            w.WriteString("archive", zip);
            w.WriteNumber("files", result.Files);
            w.WriteNumber("directories", result.Directories);
            w.WriteNumber("symlinks", result.Symlinks);
            w.WriteNumber("bytes", result.Bytes);
            w.WriteStartArray("failures");
            foreach (var failure in result.Failures)
            {
                w.WriteStartObject();
                w.WriteString("path", failure.Path);
                w.WriteString("reason", failure.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    /// <summary>
    /// The first folder of <paramref name="target"/> that the restore will make, null when the target exists (a
    /// directory); throws, naming it, when it is something else or cannot be made: its nearest existing ancestor is
    /// not a directory, or refuses a new one (<c>/proc/x</c>, a read-only mount).
    /// </summary>
    private static string? CheckTarget(string target)
    {
        if (Directory.Exists(target))
        {
            return null;
        }
        if (File.Exists(target) || Path.Exists(target))
        {
            throw new BackupException($"the target {Formatting.Path(target)} exists and is not a directory");
        }
        var parent = Path.GetDirectoryName(target);
        while (parent is not null && !Path.Exists(parent))
        {
            parent = Path.GetDirectoryName(parent);
        }
        if (parent is null || !Directory.Exists(parent))
        {
            throw new BackupException($"cannot restore to {Formatting.Path(target)}: {Formatting.Path(parent ?? "/")} is not a directory");
        }
        // Only making the first missing folder tells whether its parent takes one (/proc does not, even for root).
        var first = target;
        while (Path.GetDirectoryName(first) is { } up && up != parent)
        {
            first = up;
        }
        try
        {
            // Made and removed through the parent's descriptor: the name removed is the one just made, in that directory.
            using var above = DirectoryHandle.Open(parent);
            var name = Path.GetFileName(first);
            if (above.TryCreateDirectory(name, 0b111_000_000, first))
            {
                above.TryDeleteDirectory(name, first);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot restore to {Formatting.Path(target)}: {Formatting.Path(parent)} does not accept a new directory {Path.GetFileName(first)} ({Reason(e)})");
        }
        return first;
    }

    /// <summary>
    /// Removes <paramref name="target"/> and its parents up to <paramref name="made"/>, the folders the restore made,
    /// while they are empty: opened from the folder above <paramref name="made"/> one name at a time without following
    /// a symlink, and removed with <c>unlinkat</c> through their parent's descriptor, so a folder swapped for a symlink
    /// meanwhile stops the removal instead of redirecting it.
    /// </summary>
    private static void RemoveEmpty(string target, string? made)
    {
        if (made is null || Path.GetDirectoryName(made) is not { } root)
        {
            return;
        }
        var names = Path.GetRelativePath(made, target) is "." ? [] : Path.GetRelativePath(made, target).Split('/');
        var handles = new List<DirectoryHandle>();
        try
        {
            handles.Add(DirectoryHandle.Open(root));
            string[] chain = [Path.GetFileName(made), .. names];
            foreach (var name in chain[..^1])
            {
                if (handles[^1].OpenDirectory(name, target) is not { } next)
                {
                    return;
                }
                handles.Add(next);
            }
            // Deepest first: each is removed only when empty (unlinkat refuses otherwise), and then its parent is tried.
            for (var i = chain.Length - 1; i >= 0; i--)
            {
                if (!handles[i].TryDeleteDirectory(chain[i], target))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // What cannot be removed is left: the error that matters is the one the caller reports.
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException or FileNotFoundException => "the file system refuses it",
        _ => e.Message,
    };

    /// <summary>Where the snapshot is: (repository location, null) or (null, zip path).</summary>
    private static (SnapshotLocation? Repository, string? Zip) Locate(CliContext context, SnapshotResolver resolver, string? dbOption, string snapshot)
    {
        if (!snapshot.Contains('/', StringComparison.Ordinal) && !snapshot.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            var location = resolver.Locate(snapshot);
            return location.InRepository ? (location, null) : (null, ZipOf(context, dbOption, location));
        }
        var path = context.FullPath(snapshot);
        // A repository snapshot's archive is <repository>/snapshots/<id>.
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && Path.GetFileName(parent) == "snapshots" && Stores.HoldsRepository(Path.GetDirectoryName(parent)!))
        {
            return (new SnapshotLocation(SnapshotReference.Parse(Path.GetFileName(path)), Path.GetDirectoryName(parent)!, null), null);
        }
        if (!File.Exists(path))
        {
            throw new BackupException($"no such archive file: {Formatting.Path(path)}");
        }
        return (null, path);
    }

    /// <summary>The zip archive of a catalog snapshot; a row whose archive is gone is dropped from the catalog, and said so.</summary>
    private static string ZipOf(CliContext context, string? dbOption, SnapshotLocation location)
    {
        var path = location.ZipArchive!;
        if (File.Exists(path))
        {
            return path;
        }
        var text = location.Reference.Text;
        using var catalog = CatalogStore.Open(context.CatalogPath(dbOption), create: false);
        var records = catalog.ListSnapshots(null).Where(r => r.Archive == path).ToList();
        var refresh = CatalogRefresh.Run(catalog, records);
        throw new BackupException(refresh.Dropped.Count > 0
            ? $"snapshot '{text}' no longer exists: {Formatting.Path(path)} was removed (by forget or by hand); it is no longer listed"
            : $"snapshot '{text}': its destination {Formatting.Path(location.Root)} cannot be found (is its disk mounted?)");
    }
}
