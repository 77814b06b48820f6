using Backup.Core.Catalog;
using Backup.Core.Dump;
using Backup.Core.Snapshots;

namespace Backup.Cli.Web;

/// <summary>
/// One snapshot opened for a request: its catalog row and, for a repository snapshot, the repository (opened with a
/// shared lock, as <c>backup ls</c> opens it) and the snapshot object. Dispose to release the lock.
/// </summary>
internal sealed class WebSnapshot(SnapshotRecord record, OpenRepository? open, string? repositoryId, SnapshotObject? snapshot) : IAsyncDisposable
{
    /// <summary>The catalog's row.</summary>
    public SnapshotRecord Record { get; } = record;

    /// <summary>The repository holding it, null for a zip snapshot.</summary>
    public OpenRepository? Open { get; } = open;

    /// <summary>Its full repository id, null for a zip snapshot.</summary>
    public string? RepositoryId { get; } = repositoryId;

    /// <summary>Its snapshot object, null for a zip snapshot.</summary>
    public SnapshotObject? Snapshot { get; } = snapshot;

    /// <summary>
    /// The entry at <paramref name="path"/> (already checked by <see cref="SnapshotPath.Normalize"/>) with what lies
    /// below it, through the same lookup as <c>backup dump</c>; throws <see cref="WebRequestException"/> (404) when
    /// the snapshot has no such path.
    /// </summary>
    public Task<DumpSelection> SelectAsync(string path, CancellationToken cancellationToken) => SelectAsync(path, childrenOnly: false, cancellationToken);

    /// <summary>
    /// As <see cref="SelectAsync(string, CancellationToken)"/>; with <paramref name="childrenOnly"/>, a repository
    /// folder's own entries only (one tree read), for browsing: a zip's listing is its central directory anyway.
    /// </summary>
    public async Task<DumpSelection> SelectAsync(string path, bool childrenOnly, CancellationToken cancellationToken)
    {
        var found = Open is not null
            ? await SnapshotPaths.FindAsync(Open.Repository, Snapshot!, path, childrenOnly, cancellationToken)
            : SnapshotPaths.Find(Record.Archive, Record.Path, Record.Time, path);
        return found ?? throw new WebRequestException(404, $"no '{Formatting.Path(path)}' in snapshot {Record.Id} (of {Formatting.Path(Record.Path)})");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Open is not null)
        {
            await Open.DisposeAsync();
        }
    }
}
