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
/// shared by many snapshots once; zip snapshots through their central directory. Exit 1 when nothing matches, and when
/// one of several repositories could not be searched (named on stderr, and in a --json line; the others' matches are
/// still printed).
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
            var targets = Targets(context, parse, archive, resolver, named);
            var failed = new List<(string Root, string Reason)>();
            foreach (var (root, locations, inRepository) in targets)
            {
                if (inRepository)
                {
                    try
                    {
                        var (found, finder) = await SearchRepositoryAsync(context, parse, root, locations, resolver, globs, source, unreadable, cancellationToken);
                        searched.AddRange(found);
                        counters.Add(finder);
                    }
                    catch (Exception e) when (targets.Count > 1 && IsUnreachable(e))
                    {
                        // One repository that cannot be read does not hide the matches of the others; the exit code tells.
                        context.Error.WriteLine($"backup: error: cannot search {Formatting.Path(root)}: {e.Message}");
                        failed.Add((root, e.Message));
                    }
                    continue;
                }
                foreach (var record in ZipRecords(context, parse, root, locations).Where(r => source is null || r.Path == source))
                {
                    var found = ZipFinder.Find(record.Archive, record.Path, globs, unreadable);
                    searched.Add(new(SnapshotIds.Display(record.Id, record.Archive), null, record.Archive, record.Time, record.Path, found));
                }
            }
            Print(context, searched, failed, parse.GetValue(json));
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
            return failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// Searches the snapshots of the repository at <paramref name="root"/> (those of <paramref name="locations"/> when
    /// given, else all of <paramref name="source"/> or of every source): each snapshot with its matches, and the finder
    /// that counted the trees walked.
    /// </summary>
    private static async Task<(List<Searched> Found, RepositoryFinder Finder)> SearchRepositoryAsync(
        CliContext context, ParseResult parse, string root, List<SnapshotLocation> locations, SnapshotResolver resolver,
        List<PathPattern> globs, string? source, Action<string> unreadable, CancellationToken cancellationToken)
    {
        var searched = new List<Searched>();
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
        return (searched, finder);
    }

    /// <summary>
    /// True for what opening or reading a repository fails with when it cannot be used (gone, damaged, locked, the
    /// wrong password, a server that does not answer), as opposed to a bug or an interruption.
    /// </summary>
    private static bool IsUnreachable(Exception e) =>
        e is BackupException or Backup.Core.Encryption.WrongPasswordException or IOException or UnauthorizedAccessException or InvalidDataException;

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
    /// folder when it is a repository (each with no location: search all its snapshots). Each says whether it is a
    /// repository: one that holds a repository, or of which the catalog records repository snapshots only (a folder
    /// removed or a config file lost is then an error, not a destination with nothing in it).
    /// </summary>
    private static List<(string Root, List<SnapshotLocation> Locations, bool InRepository)> Targets(
        CliContext context, ParseResult parse, Option<string?> archive, SnapshotResolver resolver, string[] named)
    {
        if (named.Length > 0)
        {
            return [.. named.Select(resolver.Locate).GroupBy(l => l.Root, StringComparer.Ordinal)
                .Select(g => (g.Key, g.DistinctBy(l => l.ZipArchive ?? l.Reference.Text).ToList(), g.First().InRepository))];
        }
        var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
        var given = parse.GetValue(archive);
        var roots = new List<string> { context.ArchivePath(given, db) };
        var recorded = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (given is null && File.Exists(db))
        {
            using var catalog = CatalogStore.Open(db, create: false);
            foreach (var record in catalog.ListSnapshots(null))
            {
                var root = CatalogStore.DestinationOf(record.Archive);
                var inRepository = SnapshotIds.RepositoryIdOf(record.Archive) is not null;
                recorded[root] = recorded.TryGetValue(root, out var before) ? before && inRepository : inRepository;
                roots.Add(root);
            }
        }
        return [.. roots.Distinct(StringComparer.Ordinal)
            .Select(r => (r, new List<SnapshotLocation>(), Stores.HoldsRepository(r) || recorded.GetValueOrDefault(r)))];
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

    /// <summary>
    /// Prints each snapshot with matches; with --json also a <c>{"message_type":"error"}</c> line for each destination
    /// that could not be searched (its error is on stderr either way).
    /// </summary>
    private static void Print(CliContext context, List<Searched> searched, List<(string Root, string Reason)> failed, bool json)
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
        foreach (var (root, reason) in json ? failed : [])
        {
            JsonLines.Write(context.Output, w =>
            {
                w.WriteString("message_type", "error");
                w.WriteString("archive", root);
                w.WriteString("error", reason);
            });
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
