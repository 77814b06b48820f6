
namespace Backup.Core.Catalog;

/// <summary>
/// Brings the catalog back in line with its destinations, which are the truth: a snapshot whose archive file is gone
/// (forgotten, pruned, deleted by hand) loses its row, but only when the folder that held it is itself there to ask
/// (a repository's <c>config</c> and <c>keys/</c>; a zip's per-path folder). A destination that cannot be seen at all
/// (a disk not mounted, an empty mount point) is reported and its rows kept: nothing is dropped for what is out of sight.
/// </summary>
public static class CatalogRefresh
{
    /// <summary>What a refresh did.</summary>
    /// <param name="Dropped">The rows removed, because their archive no longer exists.</param>
    /// <param name="MissingDestinations">Destinations whose snapshots could not be looked at (their rows were kept).</param>
    public sealed record Result(IReadOnlyList<SnapshotRecord> Dropped, IReadOnlyList<string> MissingDestinations);

    /// <summary>
    /// Checks every snapshot row (or those in <paramref name="only"/>) against its destination. Rows of repository
    /// snapshots are dropped only for <paramref name="openedRepository"/>, a repository just opened and checked against
    /// the identity the catalog recorded: another disk mounted at the same path holds another repository, whose missing
    /// snapshots say nothing of the recorded one's.
    /// </summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="only">The rows to check; null for all.</param>
    /// <param name="openedRepository">The root of a repository just opened and verified, or null.</param>
    /// <param name="openedSnapshots">
    /// The snapshot ids <paramref name="openedRepository"/> lists now: its rows are checked against them rather than
    /// against files (a remote repository has none to look at). Null to look at the files of a local one.
    /// </param>
    public static Result Run(CatalogStore catalog, IReadOnlyCollection<SnapshotRecord>? only = null, string? openedRepository = null, IReadOnlySet<string>? openedSnapshots = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var dropped = new List<SnapshotRecord>();
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in only ?? catalog.ListSnapshots(null))
        {
            if (openedSnapshots is not null && openedRepository is not null && CatalogStore.DestinationOf(row.Archive) == openedRepository)
            {
                if (!openedSnapshots.Contains(CatalogStore.NameOf(row.Archive)))
                {
                    dropped.Add(row);
                }
                continue;
            }
            if (Storage.StoreLocation.IsUrl(row.Archive))
            {
                // A remote repository not opened now: nothing can be said of its snapshots without asking it.
                continue;
            }
            if (File.Exists(row.Archive))
            {
                continue;
            }
            if (Visible(row.Archive, openedRepository))
            {
                dropped.Add(row);
            }
            else
            {
                missing.Add(CatalogStore.DestinationOf(row.Archive));
            }
        }
        if (dropped.Count > 0)
        {
            catalog.ForgetSnapshots(dropped.Select(d => d.Archive));
        }
        return new Result(dropped, [.. missing]);
    }

    /// <summary>True when the place that would hold <paramref name="archive"/> is there, so that its absence is real.</summary>
    private static bool Visible(string archive, string? openedRepository)
    {
        var folder = Path.GetDirectoryName(archive)!;
        var destination = CatalogStore.DestinationOf(archive);
        var isRepositorySnapshot = Path.GetFileName(folder) == "snapshots" && !archive.EndsWith(Archiving.Zip.ZipArchiver.Extension, StringComparison.Ordinal);
        return isRepositorySnapshot
            ? destination == openedRepository && Storage.LocalBlobStore.HoldsRepository(destination)
            : Directory.Exists(folder) && !Storage.LocalBlobStore.HoldsRepository(destination);
    }
}
