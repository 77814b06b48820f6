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
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Leave out paths matching this pattern (as --include; a matching directory leaves out its content; never deleted by --delete); repeatable",
            HelpName = "GLOB",
        };
        var delete = new Option<bool>("--delete") { Description = "Make the target equal to the snapshot: delete what it does not have, inside the target only (implies --overwrite)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would be created, overwritten, deleted and left alone; write nothing" };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print one JSON object: the target, the snapshot and what was restored";
        var quiet = GlobalOptions.Quiet();
        var command = new Command("restore", "Restore a snapshot into a directory") { snapshot, target, overwrite, include, exclude, delete, dryRun, archive, json, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new Request(
                context.FullPath(parse.GetValue(target)!),
                parse.GetValue(snapshot)!,
                new RestoreOptions
                {
                    // Making the target equal to the snapshot replaces what differs: --delete without overwriting makes no sense.
                    Overwrite = parse.GetValue(overwrite) || parse.GetValue(delete),
                    Include = parse.GetValue(include) ?? [],
                    Exclude = parse.GetValue(exclude) ?? [],
                    RestoreOwners = Environment.IsPrivilegedProcess,
                },
                parse.GetValue(delete),
                parse.GetValue(dryRun),
                parse.GetValue(json),
                parse.GetValue(quiet));
            var resolver = new SnapshotResolver(context, parse, archive);
            var (inRepository, zip) = Locate(context, resolver, parse.GetValue(GlobalOptions.Db), request.Text);
            var made = request.DryRun ? CheckTargetWithoutWriting(request.Target) : CheckTarget(request.Target);
            if (inRepository is not null)
            {
                await using var open = await OpenRepository.OpenAsync(context, parse, inRepository.Root, RepositoryAccess.Shared, "restore", cancellationToken);
                var (id, _) = await resolver.FindAsync(open.Repository, inRepository, cancellationToken);
                var archiver = new RepositoryArchiver(open.Repository);
                return await RunAsync(
                    context, request, made, id, null,
                    () => archiver.PlanTargetAsync(id, request.Options, cancellationToken),
                    options => archiver.RestoreAsync(id, request.Target, options, cancellationToken),
                    cancellationToken);
            }
            return await RunAsync(
                context, request, made, null, zip,
                () => Task.FromResult<IPlannedTree>(new RestorePlanTree(ZipArchiver.PlanRestore(zip!, request.Options))),
                options => new ZipArchiver(Path.GetDirectoryName(zip)!).RestoreAsync(zip!, request.Target, options, cancellationToken),
                cancellationToken);
        });
        return command;
    }

    /// <summary>What the command line asks for.</summary>
    private sealed record Request(string Target, string Text, RestoreOptions Options, bool Delete, bool DryRun, bool Json, bool Quiet);

    /// <summary>
    /// Plans first when the plan is needed before writing (a dry run, and --delete, which removes what the plan lacks
    /// before the restore writes, as restic does), then restores and reports. An unfiltered restore of a repository
    /// snapshot plans directory by directory (<see cref="SnapshotPlannedTree"/>: memory grows with the directories, not
    /// the files); a zip archive and a filtered restore hold the whole plan (<see cref="RestorePlanTree"/>).
    /// </summary>
    private static async Task<int> RunAsync(
        CliContext context, Request request, string? made, string? id, string? zip,
        Func<Task<IPlannedTree>> plan, Func<RestoreOptions, Task<RestoreResult>> restore, CancellationToken cancellationToken)
    {
        TargetChanges? changes = null;
        if (request.DryRun || request.Delete)
        {
            var planned = await plan();
            if (request.Options.Selection.IsFiltered && planned.Total.Total == 0)
            {
                throw NothingMatched(request, zip);
            }
            var reconciler = new TargetReconciler(planned, request.Options.Selection);
            changes = request.DryRun
                ? await reconciler.PreviewAsync(request.Target, request.Options.Overwrite, request.Delete, cancellationToken)
                : await reconciler.DeleteExtrasAsync(request.Target, cancellationToken);
        }
        if (request.DryRun)
        {
            return DryRunDone(context, request, id, zip, changes!);
        }
        if (changes is not null && !request.Json)
        {
            context.Output.WriteLine(RestoreReport.Deleted(request.Target, changes));
        }
        RestoreResult result;
        await using (var progress = ProgressDisplay.Start(context, request.Quiet))
        {
            result = await restore(request.Options with { Progress = progress.Counters });
        }
        if (request.Options.Selection.IsFiltered && result.Files + result.Directories + result.Symlinks == 0 && result.Failures.Count == 0)
        {
            RemoveEmpty(request.Target, made);
            throw NothingMatched(request, zip);
        }
        foreach (var warning in result.Warnings)
        {
            context.Error.WriteLine($"backup: warning: {warning}");
        }
        foreach (var failure in result.Failures)
        {
            context.Error.WriteLine($"backup: error: could not restore {Formatting.Path(Path.Join(request.Target, failure.Path))}: {failure.Reason}");
        }
        ReportDeleteFailures(context, request.Target, changes);
        if (request.Json)
        {
            RestoreReport.WriteJson(context.Output, request.Target, id, zip, result, changes, dryRun: false);
        }
        else
        {
            context.Output.WriteLine(
                $"restored {Formatting.Count(result.Files, "file")}, {Formatting.Count(result.Directories, "directory", "directories")}, {Formatting.Count(result.Symlinks, "symlink")} ({Formatting.Bytes(result.Bytes)}) to {Formatting.Path(request.Target)}");
        }
        if (result.Failures.Count > 0)
        {
            context.Error.WriteLine($"backup: restore incomplete: {Formatting.Count(result.Failures.Count, "entry", "entries")} could not be read from the archive and {(result.Failures.Count == 1 ? "was" : "were")} left out");
            return ExitCodes.Failure;
        }
        return changes is { Failures.Count: > 0 } ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static int DryRunDone(CliContext context, Request request, string? id, string? zip, TargetChanges changes)
    {
        ReportDeleteFailures(context, request.Target, changes);
        foreach (var path in changes.InTheWay)
        {
            context.Error.WriteLine($"backup: error: {Formatting.Path(Path.Join(request.Target, path))} is in the way: the snapshot has another kind of entry there, and the restore would fail on it (--delete replaces it)");
        }
        if (request.Json)
        {
            RestoreReport.WriteJson(context.Output, request.Target, id, zip, RestoreReport.WouldRestore(changes), changes, dryRun: true);
        }
        else
        {
            RestoreReport.PrintDryRun(context.Output, request.Target, changes);
        }
        return changes.InTheWay.Count > 0 || changes.Failures.Count > 0 ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static void ReportDeleteFailures(CliContext context, string target, TargetChanges? changes)
    {
        foreach (var failure in changes?.Failures ?? [])
        {
            context.Error.WriteLine($"backup: error: could not delete {Formatting.Path(Path.Join(target, failure.Path))}: {failure.Reason}; it was left");
        }
    }

    private static BackupException NothingMatched(Request request, string? zip) =>
        new($"nothing in snapshot '{request.Text}' matches {request.Options.Selection}: nothing was restored ({(zip is null ? $"'backup ls {request.Text}'" : "unzip -l")} lists its paths)");

    /// <summary>
    /// What <see cref="CheckTarget"/> checks, without making anything (a dry run writes nothing, not even a probe folder):
    /// the target is a directory or absent, and its nearest existing ancestor is a directory.
    /// </summary>
    internal static string? CheckTargetWithoutWriting(string target)
    {
        if (Directory.Exists(target))
        {
            return null;
        }
        if (Path.Exists(target))
        {
            throw new BackupException($"the target {Formatting.Path(target)} exists and is not a directory");
        }
        var parent = Path.GetDirectoryName(target);
        while (parent is not null && !Path.Exists(parent))
        {
            parent = Path.GetDirectoryName(parent);
        }
        return parent is null || !Directory.Exists(parent)
            ? throw new BackupException($"cannot restore to {Formatting.Path(target)}: {Formatting.Path(parent ?? "/")} is not a directory")
            : null;
    }

    /// <summary>
    /// The first folder of <paramref name="target"/> that the restore will make, null when the target exists (a
    /// directory); throws, naming it, when it is something else or cannot be made: its nearest existing ancestor is
    /// not a directory, or refuses a new one (<c>/proc/x</c>, a read-only mount).
    /// </summary>
    internal static string? CheckTarget(string target)
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
    internal static void RemoveEmpty(string target, string? made)
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
