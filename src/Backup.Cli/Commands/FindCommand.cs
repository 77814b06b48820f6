using System.CommandLine;
using System.Diagnostics;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Find;
using Backup.Core.Posix;
using Backup.Core.Repositories.Locks;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup find PATTERN...</c>: which snapshots hold entries that a glob matches (restic's find), with each match's
/// type, size and mtime. Repository snapshots are searched through <see cref="RepositoryFinder"/>, which searches a tree
/// shared by many snapshots once; zip snapshots through their central directory. Exit 1 when nothing matches.
/// </summary>
internal static class FindCommand
{
    /// <summary>One snapshot searched: how it is named, and its matches.</summary>
    private sealed record Searched(string Shown, string? Id, string? Zip, DateTimeOffset Time, string Source, IReadOnlyList<FoundEntry> Matches);

    public static Command Create(CliContext context)
    {
        var patterns = new Argument<string[]>("PATTERN")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "A glob: on the name without a '/' (*.c), on the path with one (/home/u/**/x, src/*.c); * ? and ** (any folders)",
        };
        var watched = new Option<string?>("--path") { Description = "Only snapshots of this watched path", HelpName = "WATCHED" };
        var only = new Option<string[]>("--snapshot") { Description = "Only this snapshot (repeatable): " + SnapshotReference.Help, HelpName = "SNAPSHOT" };
        var ignoreCase = new Option<bool>("--ignore-case", "-i") { Description = "Match without regard to case" };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print JSON lines: one object per snapshot with matches";
        var command = new Command("find", "Find which snapshots hold files matching a pattern") { patterns, watched, only, ignoreCase, archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var globs = Parse(parse.GetValue(patterns)!, parse.GetValue(ignoreCase));
            var source = parse.GetValue(watched) is { } p ? context.WatchedPath(p) : null;
            var clock = Stopwatch.StartNew();
            var searched = new List<Searched>();
            var counters = new FindCounters();
            var unreadable = RepositoryCommands.Warn(context);
            var named = parse.GetValue(only) ?? [];
            var resolver = new SnapshotResolver(context, parse, archive);
            foreach (var (root, locations) in Targets(context, parse, archive, resolver, named))
            {
                if (locations.Count > 0 ? locations[0].InRepository : Stores.HoldsRepository(root))
                {
                    await using var open = await OpenRepository.OpenAsync(context, parse, root, RepositoryAccess.Shared, "find", cancellationToken);
                    var finder = new RepositoryFinder(open.Repository, globs);
                    var snapshots = locations.Count > 0
                        ? [.. await FindAllAsync(resolver, open.Repository, locations, cancellationToken)]
                        : await open.Repository.ListSnapshotsAsync(unreadable, cancellationToken);
                    foreach (var (id, s) in snapshots.Where(s => source is null || s.Snapshot.SourcePath == source))
                    {
                        var found = await finder.FindAsync(s, unreadable, cancellationToken);
                        searched.Add(new(SnapshotIds.Short(id), id, null, s.Time, s.SourcePath, found));
                    }
                    counters.Add(finder);
                    continue;
                }
                foreach (var record in ZipRecords(context, parse, root, locations).Where(r => source is null || r.Path == source))
                {
                    var found = ZipFinder.Find(record.Archive, record.Path, globs, unreadable);
                    searched.Add(new(SnapshotIds.Display(record.Id, record.Archive), null, record.Archive, record.Time, record.Path, found));
                }
            }
            Print(context, searched, parse.GetValue(json));
            var hits = searched.Sum(s => s.Matches.Count);
            if (context.Variable("BACKUP_LOG") == "debug")
            {
                context.Error.WriteLine($"backup: find: {searched.Count} snapshots in {clock.ElapsedMilliseconds} ms; trees walked {counters.Walked}, reused {counters.Reused}");
            }
            if (hits == 0)
            {
                var what = string.Join(", ", globs.Select(g => $"'{g.Text}'"));
                throw new BackupException(searched.Count == 0
                    ? $"no snapshot to search{(source is null ? "" : $" of {Formatting.Path(source)}")} ('backup snapshots' lists them)"
                    : $"nothing matches {what} in {Formatting.Count(searched.Count, "snapshot")}");
            }
            if (!parse.GetValue(json))
            {
                context.Output.WriteLine($"{Formatting.Count(hits, "match", "matches")} in {searched.Count(s => s.Matches.Count > 0)} of {Formatting.Count(searched.Count, "snapshot")}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static List<PathPattern> Parse(string[] texts, bool ignoreCase)
    {
        try
        {
            return [.. texts.Select(t => PathPattern.Parse(t, ignoreCase))];
        }
        catch (FormatException e)
        {
            throw new BackupException(e.Message, ExitCodes.Usage);
        }
    }

    /// <summary>
    /// Where to search, by destination: with --snapshot, the destinations of the snapshots named (each with its
    /// locations); else the one --archive names, or every destination the catalog records and the default archive
    /// folder when it is a repository (each with no location: search all its snapshots).
    /// </summary>
    private static IEnumerable<(string Root, List<SnapshotLocation> Locations)> Targets(
        CliContext context, ParseResult parse, Option<string?> archive, SnapshotResolver resolver, string[] named)
    {
        if (named.Length > 0)
        {
            return named.Select(resolver.Locate).GroupBy(l => l.Root, StringComparer.Ordinal).Select(g => (g.Key, g.DistinctBy(l => l.ZipArchive ?? l.Reference.Text).ToList()));
        }
        var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
        var given = parse.GetValue(archive);
        var roots = new List<string> { context.ArchivePath(given, db) };
        if (given is null && File.Exists(db))
        {
            using var catalog = CatalogStore.Open(db, create: false);
            roots.AddRange(catalog.ListSnapshots(null).Select(r => CatalogStore.DestinationOf(r.Archive)));
        }
        return roots.Distinct(StringComparer.Ordinal).Select(r => (r, new List<SnapshotLocation>()));
    }

    private static async Task<List<(string Id, SnapshotObject Snapshot)>> FindAllAsync(
        SnapshotResolver resolver, Backup.Core.Repositories.Repository repository, List<SnapshotLocation> locations, CancellationToken cancellationToken)
    {
        var found = new List<(string Id, SnapshotObject Snapshot)>();
        foreach (var location in locations)
        {
            found.Add(await resolver.FindAsync(repository, location, cancellationToken));
        }
        return [.. found.DistinctBy(f => f.Id).OrderBy(f => f.Snapshot.Time)];
    }

    /// <summary>The zip snapshots at <paramref name="root"/> that the catalog records (those of <paramref name="locations"/> when given), oldest first.</summary>
    private static List<SnapshotRecord> ZipRecords(CliContext context, ParseResult parse, string root, List<SnapshotLocation> locations)
    {
        var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
        if (!File.Exists(db))
        {
            return [];
        }
        using var catalog = CatalogStore.Open(db, create: false);
        var zips = locations.Select(l => l.ZipArchive).ToHashSet(StringComparer.Ordinal);
        return [.. catalog.ListSnapshots(null)
            .Where(r => SnapshotIds.RepositoryIdOf(r.Archive) is null && CatalogStore.DestinationOf(r.Archive) == root)
            .Where(r => locations.Count == 0 || zips.Contains(r.Archive))
            .Where(r => File.Exists(r.Archive))
            .OrderBy(r => r.Time)];
    }

    private static void Print(CliContext context, List<Searched> searched, bool json)
    {
        foreach (var s in searched.Where(s => s.Matches.Count > 0))
        {
            if (json)
            {
                JsonLines.Write(context.Output, w =>
                {
                    w.WriteString("snapshot", s.Shown);
                    w.WriteString("id", s.Id);
                    w.WriteString("archive", s.Zip);
                    w.WriteString("time", s.Time);
                    w.WriteString("source", s.Source);
                    w.WriteNumber("hits", s.Matches.Count);
                    w.WriteStartArray("matches");
                    foreach (var m in s.Matches)
                    {
                        w.WriteStartObject();
                        w.WriteString("path", m.Path);
                        w.WriteString("type", TypeName(m.Type));
                        w.WriteNumber("size", m.Size);
                        w.WriteNumber("mode", m.Permissions);
                        w.WriteString("mtime", DateTimeOffset.UnixEpoch.AddTicks(m.MtimeNs / 100));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                continue;
            }
            context.Output.WriteLine($"snapshot {s.Shown} of {Formatting.Path(s.Source)} at {Formatting.Time(s.Time)}:");
            foreach (var m in s.Matches)
            {
                context.Output.WriteLine($"  {Mode(m)} {m.Size,12} {Formatting.Time(DateTimeOffset.UnixEpoch.AddTicks(m.MtimeNs / 100))}  {Formatting.Path(m.Path)}");
            }
        }
    }

    private static string TypeName(FileType type) => type switch
    {
        FileType.File => "file",
        FileType.Directory => "dir",
        FileType.Symlink => "symlink",
        _ => "other",
    };

    private static string Mode(FoundEntry entry)
    {
        var type = entry.Type switch { FileType.Directory => 'd', FileType.Symlink => 'l', FileType.File => '-', _ => '?' };
        return type + string.Concat("rwxrwxrwx".Select((c, i) => (entry.Permissions & (1u << (8 - i))) != 0 ? c : '-'));
    }

    /// <summary>How much of the trees the search walked, over every repository searched (printed with BACKUP_LOG=debug).</summary>
    private sealed class FindCounters
    {
        public long Walked { get; private set; }

        public long Reused { get; private set; }

        public void Add(RepositoryFinder finder)
        {
            Walked += finder.TreesWalked;
            Reused += finder.TreesReused;
        }
    }
}
