using System.CommandLine;
using Backup.Core;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup forget</c>: remove snapshots of a repository, or of a zip folder (<see cref="ZipForget"/>), named on the command line (any id <see cref="SnapshotResolver"/>
/// takes), or those a <c>--keep-*</c> policy does not keep, per host and path, as restic does. Takes an exclusive lock
/// (a shared one for <c>--dry-run</c>); the catalog is refreshed after, and <c>--prune</c> frees the space.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create(CliContext context)
    {
        var snapshots = new Argument<string[]>("SNAPSHOT") { Arity = ArgumentArity.ZeroOrMore, Description = "Snapshots to remove: " + SnapshotReference.Help };
        var keeps = new RetentionOptions();
        var dryRun = new Option<bool>("--dry-run") { Description = "Only show what would be removed" };
        var prune = new Option<bool>("--prune") { Description = "Prune afterwards, freeing the space" };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print one JSON object: the snapshots kept (with the rules that keep them) and removed";
        var quiet = GlobalOptions.Quiet();
        quiet.Description = "Show no progress of --prune";
        var command = new Command("forget", "Remove the snapshots given, or those a retention policy (per host and path) does not keep, as restic does, in a repository or a zip folder") { snapshots };
        foreach (var option in keeps.All.Append(dryRun).Append(prune).Append(archive).Append(json).Append(quiet))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(snapshots) ?? [];
            var policy = keeps.Policy(parse);
            if (given.Length > 0 && !policy.IsEmpty)
            {
                throw new BackupException("give snapshots to remove or a --keep-* policy, not both; nothing was removed", ExitCodes.Usage);
            }
            if (given.Length == 0 && policy.IsEmpty)
            {
                throw new BackupException("no policy given: add at least one --keep-* option, or the snapshots to remove; nothing was removed", ExitCodes.Usage);
            }
            var resolver = new SnapshotResolver(context, parse, archive);
            var located = given.Select(resolver.Locate).ToList();
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            var zipRoot = located.Count > 0 ? ZipRootOf(located) : context.ArchivePath(parse.GetValue(archive), db);
            if (zipRoot is not null && (located.Count > 0 || ZipForget.Holds(db, zipRoot)))
            {
                if (parse.GetValue(prune))
                {
                    throw new BackupException("--prune is for repositories: forgetting a zip snapshot deletes its archive at once; nothing was removed", ExitCodes.Usage);
                }
                return located.Count > 0
                    ? await ZipForget.ByIdsAsync(context, db, zipRoot, [.. located.Select(l => l.ZipArchive!)], parse.GetValue(dryRun), parse.GetValue(json), cancellationToken)
                    : await ZipForget.ByPolicyAsync(context, db, zipRoot, policy, parse.GetValue(dryRun), parse.GetValue(json), cancellationToken);
            }
            var locations = located;
            if (locations.Select(l => l.Root).Distinct(StringComparer.Ordinal).Skip(1).Any())
            {
                throw new BackupException($"the snapshots given are in different repositories ({string.Join(", ", locations.Select(l => Formatting.Path(l.Root)).Distinct())}): forget them one repository at a time; nothing was removed");
            }
            var access = parse.GetValue(dryRun) ? RepositoryAccess.Shared : RepositoryAccess.Exclusive;
            await using var open = locations.Count > 0
                ? await OpenRepository.OpenAsync(context, parse, locations[0].Root, access, "forget", cancellationToken)
                : await OpenRepository.OpenAsync(context, parse, archive, access, "forget", cancellationToken);
            var asJson = parse.GetValue(json);
            var text = asJson ? TextWriter.Null : context.Output;
            var kept = new List<((string Id, SnapshotObject Snapshot) Item, IReadOnlyList<string> Reasons)>();
            var doomed = locations.Count > 0
                ? await FindAsync(resolver, open.Repository, locations, cancellationToken)
                : await Apply(context, text, kept, policy, open.Repository, Verb(parse.GetValue(dryRun)), cancellationToken);
            var removed = 0;
            foreach (var (id, snapshot) in doomed)
            {
                if (locations.Count > 0)
                {
                    text.WriteLine($"{Verb(parse.GetValue(dryRun))}  {SnapshotIds.Short(id)}  {Formatting.Time(snapshot.Time)}  {Formatting.Path(snapshot.SourcePath)}");
                }
                if (!parse.GetValue(dryRun))
                {
                    await open.Repository.DeleteSnapshotAsync(id, cancellationToken);
                    removed++;
                }
            }
            if (removed > 0 && File.Exists(db))
            {
                using var catalog = Backup.Core.Catalog.CatalogStore.Open(db, create: false);
                await SnapshotsCommand.RefreshAsync(context, catalog, open.Repository, cancellationToken);
            }
            Pruner.Report? pruned = null;
            if (parse.GetValue(prune) && !parse.GetValue(dryRun))
            {
                pruned = await RepositoryCommands.PruneAsync(context, open.Repository, parse.GetValue(quiet), asJson ? context.Error : context.Output, cancellationToken);
                if (!asJson)
                {
                    RepositoryCommands.PrintPrune(context, pruned);
                }
            }
            if (asJson)
            {
                WriteJson(context.Output, parse.GetValue(dryRun), kept, doomed, pruned);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The zip folder of the snapshots given when they all are zip snapshots of one folder, null when they all are
    /// repository snapshots; a mix, or zips of several folders, is an error before anything is removed.
    /// </summary>
    private static string? ZipRootOf(List<SnapshotLocation> located)
    {
        var zips = located.Where(l => !l.InRepository).ToList();
        if (zips.Count == 0)
        {
            return null;
        }
        if (zips.Count < located.Count || zips.Select(z => z.Root).Distinct(StringComparer.Ordinal).Skip(1).Any())
        {
            throw new BackupException($"the snapshots given are in different places ({string.Join(", ", located.Select(l => Formatting.Path(l.Root)).Distinct())}): forget them one repository or zip folder at a time; nothing was removed");
        }
        return zips[0].Root;
    }

    private static string Verb(bool dryRun) => dryRun ? "would remove" : "remove";

    /// <summary>Each snapshot given, once, in the order given; any that cannot be found fails the whole command first.</summary>
    private static async Task<List<(string Id, SnapshotObject Snapshot)>> FindAsync(
        SnapshotResolver resolver, Repository repository, IReadOnlyList<SnapshotLocation> locations, CancellationToken cancellationToken)
    {
        var found = new List<(string Id, SnapshotObject Snapshot)>();
        foreach (var location in locations)
        {
            var snapshot = await resolver.FindAsync(repository, location, cancellationToken);
            if (!found.Any(f => f.Id == snapshot.Id))
            {
                found.Add(snapshot);
            }
        }
        return found;
    }

    /// <summary>Prints what <paramref name="policy"/> keeps of each host and path, and returns what it removes.</summary>
    private static async Task<List<(string Id, SnapshotObject Snapshot)>> Apply(
        CliContext context, TextWriter text, List<((string Id, SnapshotObject Snapshot) Item, IReadOnlyList<string> Reasons)> kept, RetentionPolicy policy, Repository repository, string verb, CancellationToken cancellationToken)
    {
        var doomed = new List<(string Id, SnapshotObject Snapshot)>();
        var snapshots = await repository.ListSnapshotsAsync(RepositoryCommands.Warn(context), cancellationToken);
        foreach (var group in snapshots.GroupBy(s => (s.Snapshot.Host, s.Snapshot.SourcePath)))
        {
            var (keep, remove) = policy.Apply(group, s => s.Snapshot.Time);
            text.WriteLine($"{group.Key.SourcePath} on {group.Key.Host}: keeping {keep.Count}, removing {remove.Count}");
            foreach (var (s, reasons) in keep.OrderBy(k => k.Item.Snapshot.Time))
            {
                kept.Add((s, reasons));
                text.WriteLine($"  keep    {SnapshotIds.Short(s.Id)}  {Formatting.Time(s.Snapshot.Time)}  ({string.Join(", ", reasons)})");
            }
            foreach (var s in remove.OrderBy(r => r.Snapshot.Time))
            {
                text.WriteLine($"  {verb}  {SnapshotIds.Short(s.Id)}  {Formatting.Time(s.Snapshot.Time)}");
                doomed.Add(s);
            }
        }
        return doomed;
    }

    private static void WriteJson(
        TextWriter output, bool dryRun, List<((string Id, SnapshotObject Snapshot) Item, IReadOnlyList<string> Reasons)> kept,
        List<(string Id, SnapshotObject Snapshot)> removed, Pruner.Report? pruned) =>
        JsonLines.Write(output, w =>
        {
            w.WriteBoolean("dry_run", dryRun);
            w.WriteStartArray("kept");
            foreach (var ((id, snapshot), reasons) in kept)
            {
                w.WriteStartObject();
                Snapshot(w, id, snapshot);
                w.WriteStartArray("reasons");
                foreach (var reason in reasons)
                {
                    w.WriteStringValue(reason);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("removed");
            foreach (var (id, snapshot) in removed)
            {
                w.WriteStartObject();
                Snapshot(w, id, snapshot);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (pruned is not null)
            {
                w.WriteStartObject("prune");
                w.WriteNumber("packs_deleted", pruned.PacksDeleted);
                w.WriteNumber("packs_rewritten", pruned.PacksRepacked);
                w.WriteNumber("packs_kept", pruned.PacksKept);
                w.WriteNumber("bytes_freed", pruned.BytesFreed);
                w.WriteEndObject();
            }
        });

    private static void Snapshot(System.Text.Json.Utf8JsonWriter w, string id, SnapshotObject snapshot)
    {
        w.WriteString("id", id);
        w.WriteString("time", snapshot.Time);
        w.WriteString("host", snapshot.Host);
        w.WriteString("path", snapshot.SourcePath);
    }
}
