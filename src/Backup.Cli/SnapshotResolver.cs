using System.CommandLine;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// The one place where a snapshot named on the command line (<see cref="SnapshotReference"/>) is found, for every
/// command that takes one. With <c>--archive</c>, the snapshot is looked for there; without it, the catalog says which
/// destination holds it (it records each snapshot's), and failing that the default archive folder is searched when it
/// is a repository. A repository is the truth for its own ids: a prefix or <c>latest</c> is matched against its listing.
/// </summary>
internal sealed class SnapshotResolver(CliContext context, ParseResult parse, Option<string?> archive)
{
    private const int CandidatesShown = 10;

    private string Db => context.CatalogPath(parse.GetValue(GlobalOptions.Db));

    /// <summary>Where <paramref name="text"/> lives. Throws <see cref="BackupException"/> (exit 1) for an id too short, ambiguous or unknown.</summary>
    public SnapshotLocation Locate(string text)
    {
        var reference = SnapshotReference.Parse(text);
        var db = Db;
        if (parse.GetValue(archive) is { } given)
        {
            var root = context.ArchivePath(given, db);
            if (Stores.HoldsRepository(root))
            {
                return new(reference, root, null);
            }
            // A zip folder's snapshots are named only by the catalog.
            var inFolder = FromCatalog(reference, r => CatalogStore.DestinationOf(r.Archive) == root);
            return inFolder.Count switch
            {
                1 => new(reference, root, inFolder[0].Archive),
                // Only a repository has hex ids: opening it says that none is there (exit 10).
                0 when reference.Prefix is not null => new(reference, root, null),
                0 => throw reference.Unknown($"in the archive folder {Formatting.Path(root)}"),
                _ => throw reference.Ambiguous(inFolder.Select(Describe)),
            };
        }
        var known = FromCatalog(reference, _ => true);
        if (known.Count > 1)
        {
            throw reference.Ambiguous(known.Select(Describe));
        }
        if (known.Count == 1)
        {
            var record = known[0];
            var destination = CatalogStore.DestinationOf(record.Archive);
            return SnapshotIds.RepositoryIdOf(record.Archive) is null ? new(reference, destination, record.Archive) : new(reference, destination, null);
        }
        // Only the catalog numbers snapshots; an id or latest may still be in the default repository.
        var fallback = context.ArchivePath(null, db);
        if ((reference.Prefix is not null || reference.Latest) && Stores.HoldsRepository(fallback))
        {
            return new(reference, fallback, null);
        }
        throw reference.Unknown(reference.Number is not null && reference.Prefix is null
            ? $"in catalog {Formatting.Path(db)}"
            : $"in catalog {Formatting.Path(db)}, and {Formatting.Path(fallback)} is not a repository (give --archive REPO for one the catalog does not know)");
    }

    /// <summary>
    /// The snapshot <paramref name="location"/> names in <paramref name="repository"/>, opened at
    /// <see cref="SnapshotLocation.Root"/>: its full id and object.
    /// </summary>
    public async Task<(string Id, SnapshotObject Snapshot)> FindAsync(Repository repository, SnapshotLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(location);
        var reference = location.Reference;
        var where = $"in the repository at {Formatting.Path(location.Root)}";
        if (reference.Latest)
        {
            var source = reference.LatestPath is { } p ? context.WatchedPath(p) : null;
            var all = await repository.ListSnapshotsAsync(warning => context.Error.WriteLine($"backup: warning: {warning}"), cancellationToken);
            var newest = all.LastOrDefault(s => source is null || s.Snapshot.SourcePath == source);
            return newest.Id is not null ? newest : throw reference.Unknown(where);
        }
        var ids = await repository.ListSnapshotIdsAsync(cancellationToken);
        var candidates = ids.Where(reference.MatchesPrefix).ToList();
        if (reference.Number is { } number && NumberedId(number, location, ids) is { } numbered)
        {
            candidates.Add(numbered);
        }
        candidates = [.. candidates.Distinct(StringComparer.Ordinal)];
        if (candidates.Count == 1)
        {
            return (candidates[0], await repository.LoadSnapshotAsync(candidates[0], cancellationToken));
        }
        if (candidates.Count == 0)
        {
            throw reference.Unknown(where);
        }
        var shown = new List<string>();
        foreach (var id in candidates.Order(StringComparer.Ordinal).Take(CandidatesShown))
        {
            var s = await repository.LoadSnapshotAsync(id, cancellationToken);
            shown.Add($"{SnapshotIds.Short(id)} ({Formatting.Time(s.Time)} {Formatting.Path(s.SourcePath)})");
        }
        throw reference.Ambiguous(candidates.Count > CandidatesShown ? [.. shown, $"and {candidates.Count - CandidatesShown} more"] : shown);
    }

    /// <summary>
    /// The repository id of catalog snapshot <paramref name="number"/> when it is in <paramref name="location"/>'s
    /// repository; null when the catalog knows no such number and it may still be a prefix; throws when it names a
    /// snapshot elsewhere or one that is gone.
    /// </summary>
    private string? NumberedId(long number, SnapshotLocation location, IReadOnlyList<string> ids)
    {
        var db = Db;
        if (!File.Exists(db))
        {
            return null;
        }
        using var catalog = CatalogStore.Open(db, create: false);
        if (catalog.FindSnapshot(number) is not { } record)
        {
            return null;
        }
        var id = SnapshotIds.RepositoryIdOf(record.Archive);
        var destination = CatalogStore.DestinationOf(record.Archive);
        if (id is null || destination != location.Root)
        {
            if (location.Reference.Prefix is not null)
            {
                return null;
            }
            throw new BackupException($"snapshot '{location.Reference.Text}' is not in the repository at {Formatting.Path(location.Root)}: the catalog records it in {Formatting.Path(destination)} (leave out --archive to use that)");
        }
        if (!ids.Contains(id, StringComparer.Ordinal))
        {
            throw new BackupException($"snapshot '{location.Reference.Text}' ({SnapshotIds.Short(id)}) is no longer in the repository at {Formatting.Path(location.Root)} (forgotten, or another repository is there; 'backup snapshots' lists what it holds)");
        }
        return id;
    }

    /// <summary>The catalog's snapshots that <paramref name="reference"/> may name, among those <paramref name="where"/> accepts.</summary>
    private List<SnapshotRecord> FromCatalog(SnapshotReference reference, Func<SnapshotRecord, bool> where)
    {
        var db = Db;
        if (!File.Exists(db))
        {
            return [];
        }
        using var catalog = CatalogStore.Open(db, create: false);
        if (reference.Latest)
        {
            var source = reference.LatestPath is { } p ? context.WatchedPath(p) : null;
            return catalog.ListSnapshots(source).Where(where).TakeLast(1).ToList();
        }
        var matches = new List<SnapshotRecord>();
        if (reference.Number is { } number && catalog.FindSnapshot(number) is { } numbered && where(numbered))
        {
            matches.Add(numbered);
        }
        if (reference.Prefix is not null)
        {
            matches.AddRange(catalog.ListSnapshots(null).Where(r => where(r) && SnapshotIds.RepositoryIdOf(r.Archive) is { } id && reference.MatchesPrefix(id)));
        }
        // The same repository snapshot may be in the catalog once per row; a row is one candidate.
        return [.. matches.DistinctBy(r => r.Id)];
    }

    private static string Describe(SnapshotRecord record) =>
        $"{SnapshotIds.Display(record.Id, record.Archive)} ({Formatting.Time(record.Time)} {Formatting.Path(record.Path)})";
}
