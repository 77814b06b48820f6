using System.CommandLine;
using System.Text.Json;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup snapshots [PATH]</c>: the snapshots, newest last. Archives in the archive folder that the catalog does not
/// know (a lost or new catalog) are indexed first, from the metadata inside each zip.
/// </summary>
internal static class SnapshotsCommand
{
    public static Command Create(CliContext context)
    {
        var path = new Argument<string?>("PATH") { Arity = ArgumentArity.ZeroOrOne, Description = "Only the snapshots of this directory" };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        var command = new Command("snapshots", "List snapshots, newest last") { path, archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            var explicitArchive = parse.GetValue(archive);
            var archiveRoot = context.ArchivePath(explicitArchive, db);
            if (Stores.HoldsRepository(archiveRoot))
            {
                // A repository is read directly: it needs no catalog at all.
                await using var open = await OpenRepository.OpenAsync(context, parse, archiveRoot, RepositoryAccess.Shared, "snapshots", cancellationToken);
                var all = await open.Repository.ListSnapshotsAsync(warning => context.Error.WriteLine($"backup: warning: {warning}"), cancellationToken);
                if (File.Exists(db))
                {
                    using var cache = CatalogStore.Open(db, create: false);
                    await RefreshAsync(context, cache, open.Repository, cancellationToken);
                }
                var wanted = parse.GetValue(path) is { } only ? context.WatchedPath(only) : null;
                var selected = all.Where(s => wanted is null || s.Snapshot.SourcePath == wanted).ToList();
                RefuseUnknownPath(db, wanted, selected.Count);
                if (parse.GetValue(json))
                {
                    WriteRepositoryJson(context.Output, archiveRoot, selected);
                }
                else
                {
                    WriteRepositoryTable(context.Output, selected);
                }
                return ExitCodes.Ok;
            }
            // With --archive the folder can rebuild a lost catalog, so one is created; without it, a missing one is a mistake.
            using var catalog = CatalogStore.Open(db, create: explicitArchive is not null);
            Index(context, catalog, archiveRoot);
            await RefreshAsync(context, catalog, null, cancellationToken);
            var source = parse.GetValue(path) is { } p ? context.WatchedPath(p) : null;
            var snapshots = catalog.ListSnapshots(source);
            RefuseUnknownPath(db, source, snapshots.Count);
            if (explicitArchive is not null)
            {
                var prefix = archiveRoot.TrimEnd('/') + "/";
                snapshots = [.. snapshots.Where(s => s.Archive.StartsWith(prefix, StringComparison.Ordinal))];
            }
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, snapshots);
            }
            else
            {
                WriteTable(context.Output, snapshots);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Throws when <paramref name="path"/> was asked for, has no snapshots and is not watched: most likely a typo.</summary>
    private static void RefuseUnknownPath(string db, string? path, int count)
    {
        if (path is null || count > 0)
        {
            return;
        }
        var watched = false;
        if (File.Exists(db))
        {
            using var catalog = CatalogStore.Open(db, create: false);
            watched = catalog.GetWatchedPaths().Any(w => w.Path == path);
        }
        if (!watched)
        {
            throw new Backup.Core.BackupException($"no snapshots of {Formatting.Path(path)}: it has none here and is not watched ('backup list' shows the watched paths)");
        }
    }

    private static void WriteRepositoryTable(TextWriter output, IReadOnlyList<(string Id, SnapshotObject Snapshot)> snapshots)
    {
        output.WriteLine($"{"ID",-8}  {"TIME",-19}  {"HOST",-12}  {"FILES",8}  {"SIZE",10}  {"ADDED",10}  PATH");
        foreach (var (id, s) in snapshots)
        {
            var mark = s.Complete ? "" : "  (incomplete)";
            output.WriteLine($"{id[..8],-8}  {Formatting.Time(s.Time),-19}  {s.Host,-12}  {s.Files,8}  {Formatting.Bytes(s.Bytes),10}  {Formatting.Bytes(s.NewBytes),10}  {Formatting.Path(s.SourcePath)}{mark}");
        }
    }

    private static void WriteRepositoryJson(TextWriter output, string root, IReadOnlyList<(string Id, SnapshotObject Snapshot)> snapshots)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Formatting.Json))
        {
            writer.WriteStartArray();
            foreach (var (id, s) in snapshots)
            {
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("path", s.SourcePath);
                writer.WriteString("time", s.Time);
                writer.WriteNumber("files", s.Files);
                writer.WriteNumber("bytes", s.Bytes);
                writer.WriteString("archive", RepositoryArchiver.SnapshotPath(root, id));
                writer.WriteString("host", s.Host);
                writer.WriteString("username", s.Username);
                writer.WriteString("parent", s.Parent);
                writer.WriteString("tree", s.Tree);
                writer.WriteNumber("dirs", s.Directories);
                writer.WriteNumber("new_chunks", s.NewChunks);
                writer.WriteNumber("new_bytes", s.NewBytes);
                writer.WriteBoolean("complete", s.Complete);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Drops the rows of snapshots gone from their destination; warns of destinations that cannot be seen.</summary>
    /// <remarks>
    /// The rows of <paramref name="opened"/>'s snapshots are checked too when it is the repository the catalog recorded
    /// at that path (same identity); those of any other repository only when it is open and verified so.
    /// </remarks>
    internal static async Task RefreshAsync(CliContext context, CatalogStore catalog, Repository? opened, CancellationToken cancellationToken)
    {
        var root = opened is null ? null : opened.Store.Location;
        var verified = root is not null && catalog.FindDestination(root)?.Identity == opened!.Identity ? root : null;
        var ids = verified is null ? null : (await opened!.ListSnapshotIdsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var refresh = CatalogRefresh.Run(catalog, openedRepository: verified, openedSnapshots: ids);
        foreach (var missing in refresh.MissingDestinations)
        {
            context.Error.WriteLine($"backup: warning: {Formatting.Path(missing)} cannot be found (is its disk mounted?): its snapshots are listed from the catalog only");
        }
    }

    private static void Index(CliContext context, CatalogStore catalog, string archiveRoot)
    {
        var known = catalog.ListSnapshots(null).Select(s => s.Archive).ToHashSet(StringComparer.Ordinal);
        foreach (var found in ZipArchiveFolder.Scan(archiveRoot, known))
        {
            if (found.Info is null)
            {
                context.Error.WriteLine($"backup: warning: skipping {Formatting.Path(found.Archive)}: {found.Error}");
                continue;
            }
            catalog.ImportSnapshot(found.Archive, found.Info);
        }
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<SnapshotRecord> snapshots)
    {
        output.WriteLine($"{"ID",8}  {"TIME",-19}  {"FILES",8}  {"SIZE",10}  PATH -> ARCHIVE");
        foreach (var s in snapshots)
        {
            var mark = s.Complete ? "" : "  (incomplete)";
            output.WriteLine($"{SnapshotIds.Display(s.Id, s.Archive),8}  {Formatting.Time(s.Time),-19}  {s.Files,8}  {Formatting.Bytes(s.Bytes),10}  {Formatting.Path(s.Path)} -> {Formatting.Path(s.Archive)}{mark}");
        }
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<SnapshotRecord> snapshots)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Formatting.Json))
        {
            writer.WriteStartArray();
            foreach (var s in snapshots)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", s.Id);
                writer.WriteString("path", s.Path);
                writer.WriteString("time", s.Time);
                writer.WriteNumber("files", s.Files);
                writer.WriteNumber("bytes", s.Bytes);
                writer.WriteString("archive", s.Archive);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
