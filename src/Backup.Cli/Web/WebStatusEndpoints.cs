using Backup.Core.Catalog;
using Backup.Core.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// The page's overview: <c>/api/session</c> (the CSRF token), <c>/api/paths</c> (every watched path with its state,
/// last snapshot and timeline) and <c>/api/repository</c> (sizes, ratios, last check).
/// </summary>
internal static class WebStatusEndpoints
{
    /// <summary>Maps the endpoints; <paramref name="csrf"/> is what <see cref="WebAuthentication"/> expects in a state-changing request.</summary>
    public static void Map(WebApplication app, WebBackend backend, string csrf)
    {
        app.MapGet("/api/session", () => Results.Json(new { csrf, archive = backend.ArchiveRoot }));
        app.MapGet("/api/paths", () => Results.Json(Paths(backend)));
        // Not (HttpContext) => …: a lambda of that shape is taken as a RequestDelegate, and its result is dropped.
        app.MapGet("/api/repository", async (CancellationToken cancellationToken) => Results.Json(await RepositoryAsync(backend, cancellationToken)));
    }

    /// <summary>
    /// Each watched path: <c>state</c> is <c>failing</c> (with <c>error</c>) when its last attempt failed,
    /// <c>pending</c> when changes wait for a snapshot, <c>up to date</c> once it is in one, and <c>waiting</c> before
    /// its first snapshot; <c>snapshots</c> is the timeline, oldest first.
    /// </summary>
    private static List<object> Paths(WebBackend backend)
    {
        var live = backend.State.Paths.ToDictionary(p => p.Path, StringComparer.Ordinal);
        using var catalog = backend.OpenCatalog();
        var result = new List<object>();
        foreach (var watched in catalog.GetWatchedPaths())
        {
            var status = live.GetValueOrDefault(watched.Path);
            var timeline = catalog.ListSnapshots(watched.Path);
            result.Add(new
            {
                path = watched.Path,
                state = StateOf(status, timeline.Count),
                error = status?.LastError,
                mode = status?.Mode,
                pendingChanges = status?.PendingChanges ?? 0,
                lastSnapshotTime = status?.LastSnapshotTime ?? (timeline.Count > 0 ? timeline[^1].Time : null),
                last = timeline.Count > 0 ? WebBackend.Describe(timeline[^1]) : null,
                snapshots = timeline.Select(WebBackend.Describe).ToList(),
            });
        }
        return result;
    }

    private static string StateOf(WatchStatus? status, int snapshots) =>
        status?.LastError is not null ? "failing"
        : status is { PendingChanges: > 0 } or { PendingDirectories: > 0 } ? "pending"
        : status?.LastSnapshotTime is not null || snapshots > 0 ? "up to date"
        : "waiting";

    private static async Task<object> RepositoryAsync(WebBackend backend, CancellationToken cancellationToken)
    {
        var root = backend.ArchiveRoot;
        var check = backend.State.Check;
        object? lastCheck = check is null ? null : new
        {
            time = check.Time,
            ok = check.Report.Errors.Count == 0,
            errors = check.Report.Errors,
            warnings = check.Report.Warnings,
            snapshots = check.Report.Snapshots,
            trees = check.Report.Trees,
            packs = check.Report.Packs,
        };
        if (!Stores.HoldsRepository(root))
        {
            using var catalog = backend.OpenCatalog();
            var zips = catalog.ListSnapshots(null).Where(r => CatalogStore.DestinationOf(r.Archive) == root).ToList();
            long stored = zips.Sum(r => File.Exists(r.Archive) ? new FileInfo(r.Archive).Length : 0);
            return new { root, kind = "zip", snapshots = zips.Count, logical = zips.Sum(r => r.Bytes), stored, lastCheck };
        }
        await using var open = await backend.OpenRepositoryAsync(root, "web stats", cancellationToken);
        var stats = await RepositoryStats.ReadAsync(open.Repository, _ => { }, cancellationToken);
        return new
        {
            root,
            kind = "repository",
            snapshots = stats.Snapshots,
            logical = stats.Logical,
            unique = stats.Unique,
            @sealed = stats.Sealed,
            stored = stats.Stored,
            chunks = stats.Chunks,
            deduplication = stats.Deduplication,
            compression = stats.Compression,
            lastCheck,
        };
    }
}
