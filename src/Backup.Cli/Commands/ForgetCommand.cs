using System.CommandLine;
using Backup.Core;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup forget</c>: remove repository snapshots named on the command line (any id <see cref="SnapshotResolver"/>
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
        var command = new Command("forget", "Remove the snapshots given, or those a retention policy (per host and path) does not keep, as restic does") { snapshots };
        foreach (var option in keeps.All.Append(dryRun).Append(prune).Append(archive))
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
            var locations = given.Select(text => resolver.Locate(text).InRepositoryFor("forget")).ToList();
            if (locations.Select(l => l.Root).Distinct(StringComparer.Ordinal).Skip(1).Any())
            {
                throw new BackupException($"the snapshots given are in different repositories ({string.Join(", ", locations.Select(l => Formatting.Path(l.Root)).Distinct())}): forget them one repository at a time; nothing was removed");
            }
            var access = parse.GetValue(dryRun) ? RepositoryAccess.Shared : RepositoryAccess.Exclusive;
            await using var open = locations.Count > 0
                ? await OpenRepository.OpenAsync(context, parse, locations[0].Root, access, "forget", cancellationToken)
                : await OpenRepository.OpenAsync(context, parse, archive, access, "forget", cancellationToken);
            var doomed = locations.Count > 0
                ? await FindAsync(resolver, open.Repository, locations, cancellationToken)
                : await Apply(context, policy, open.Repository, Verb(parse.GetValue(dryRun)), cancellationToken);
            var removed = 0;
            foreach (var (id, snapshot) in doomed)
            {
                if (locations.Count > 0)
                {
                    context.Output.WriteLine($"{Verb(parse.GetValue(dryRun))}  {SnapshotIds.Short(id)}  {Formatting.Time(snapshot.Time)}  {Formatting.Path(snapshot.SourcePath)}");
                }
                if (!parse.GetValue(dryRun))
                {
                    await open.Repository.DeleteSnapshotAsync(id, cancellationToken);
                    removed++;
                }
            }
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            if (removed > 0 && File.Exists(db))
            {
                using var catalog = Backup.Core.Catalog.CatalogStore.Open(db, create: false);
                await SnapshotsCommand.RefreshAsync(context, catalog, open.Repository, cancellationToken);
            }
            if (parse.GetValue(prune) && !parse.GetValue(dryRun))
            {
                RepositoryCommands.PrintPrune(context, await new Pruner(open.Repository).PruneAsync(line => context.Output.WriteLine(line), cancellationToken));
            }
            return ExitCodes.Ok;
        });
        return command;
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
        CliContext context, RetentionPolicy policy, Repository repository, string verb, CancellationToken cancellationToken)
    {
        var doomed = new List<(string Id, SnapshotObject Snapshot)>();
        var snapshots = await repository.ListSnapshotsAsync(RepositoryCommands.Warn(context), cancellationToken);
        foreach (var group in snapshots.GroupBy(s => (s.Snapshot.Host, s.Snapshot.SourcePath)))
        {
            var (keep, remove) = policy.Apply(group, s => s.Snapshot.Time);
            context.Output.WriteLine($"{group.Key.SourcePath} on {group.Key.Host}: keeping {keep.Count}, removing {remove.Count}");
            foreach (var (s, reasons) in keep.OrderBy(k => k.Item.Snapshot.Time))
            {
                context.Output.WriteLine($"  keep    {SnapshotIds.Short(s.Id)}  {Formatting.Time(s.Snapshot.Time)}  ({string.Join(", ", reasons)})");
            }
            foreach (var s in remove.OrderBy(r => r.Snapshot.Time))
            {
                context.Output.WriteLine($"  {verb}  {SnapshotIds.Short(s.Id)}  {Formatting.Time(s.Snapshot.Time)}");
                doomed.Add(s);
            }
        }
        return doomed;
    }
}
