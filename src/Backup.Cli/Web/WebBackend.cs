using Backup.Core.Catalog;
using Backup.Core.Repositories.Locks;
using Backup.Core.Snapshots;

namespace Backup.Cli.Web;

/// <summary>
/// What the page's requests reach the catalog and the repositories through: a catalog opened per request (SQLite
/// connections are not shared between threads), repositories opened with the daemon's kept key and a shared lock,
/// snapshots named by their catalog number.
/// </summary>
internal sealed class WebBackend(CliContext context, string catalogPath, string archiveRoot, RepositoryCredentials credentials, WebState state, WebJobs jobs)
{
    public CliContext Context { get; } = context;

    /// <summary>The daemon's archive folder or repository.</summary>
    public string ArchiveRoot { get; } = archiveRoot;

    public WebState State { get; } = state;

    public WebJobs Jobs { get; } = jobs;

    /// <summary>Opens the catalog read and write (never creates it: the daemon has).</summary>
    public CatalogStore OpenCatalog() => CatalogStore.Open(catalogPath, create: false);

    /// <summary>The catalog's row for snapshot <paramref name="id"/>; 404 when it has none.</summary>
    public SnapshotRecord Record(long id)
    {
        using var catalog = OpenCatalog();
        return catalog.FindSnapshot(id) ?? throw new WebRequestException(404, $"no snapshot {id} in the catalog (forgotten, or never made)");
    }

    /// <summary>Opens the repository at <paramref name="root"/> with a shared lock for <paramref name="operation"/>, its index loaded.</summary>
    public Task<OpenRepository> OpenRepositoryAsync(string root, string operation, CancellationToken cancellationToken) =>
        OpenRepository.OpenAsync(Context, credentials.Stores, credentials.Options(catalogPath, root), root, RepositoryAccess.Shared, operation, cancellationToken);

    /// <summary>Opens snapshot <paramref name="id"/>: its repository when it is in one. 404 when it is gone.</summary>
    public async Task<WebSnapshot> OpenSnapshotAsync(long id, CancellationToken cancellationToken)
    {
        var record = Record(id);
        if (SnapshotIds.RepositoryIdOf(record.Archive) is not { } repositoryId)
        {
            return File.Exists(record.Archive)
                ? new WebSnapshot(record, null, null, null)
                : throw new WebRequestException(404, $"snapshot {id}: its archive {Formatting.Path(record.Archive)} is gone");
        }
        var open = await OpenRepositoryAsync(CatalogStore.DestinationOf(record.Archive), "web", cancellationToken);
        try
        {
            var ids = await open.Repository.ListSnapshotIdsAsync(cancellationToken);
            if (!ids.Contains(repositoryId, StringComparer.Ordinal))
            {
                throw new WebRequestException(404, $"snapshot {id} ({SnapshotIds.Short(repositoryId)}) is no longer in the repository");
            }
            return new WebSnapshot(record, open, repositoryId, await open.Repository.LoadSnapshotAsync(repositoryId, cancellationToken));
        }
        catch
        {
            await open.DisposeAsync();
            throw;
        }
    }

    /// <summary>A snapshot as the page shows it.</summary>
    public static object Describe(SnapshotRecord r) => new
    {
        id = r.Id,
        path = r.Path,
        time = r.Time,
        files = r.Files,
        bytes = r.Bytes,
        complete = r.Complete,
        kind = SnapshotIds.RepositoryIdOf(r.Archive) is null ? "zip" : "repository",
        shortId = SnapshotIds.RepositoryIdOf(r.Archive) is { } rid ? SnapshotIds.Short(rid) : null,
    };
}
