using Backup.Core.Catalog;
using Backup.Core.Dump;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Backup.Cli.Web;

/// <summary>
/// What the page reads of snapshots, each named by catalog number and a path inside it (checked by
/// <see cref="SnapshotPath"/>): a folder's entries, a file's versions across the snapshots of its watched path, a
/// file's exact bytes, a folder as a zip, and the diff of two repository snapshots.
/// </summary>
internal static class WebSnapshotEndpoints
{
    public static void Map(WebApplication app, WebBackend backend)
    {
        app.MapGet("/api/snapshots/{id:long}/tree", async (long id, string? path, HttpContext http) =>
        {
            var relative = SnapshotPath.Normalize(path);
            await using var snapshot = await backend.OpenSnapshotAsync(id, http.RequestAborted);
            using var selection = await snapshot.SelectAsync(relative, childrenOnly: true, http.RequestAborted);
            if (selection.Type != FileType.Directory)
            {
                throw new WebRequestException(StatusCodes.Status400BadRequest, $"'{Formatting.Path(relative)}' is not a folder in snapshot {id}");
            }
            var entries = selection.Below.Where(e => !e.Path.Contains('/', StringComparison.Ordinal))
                .OrderBy(e => e.Type != FileType.Directory).ThenBy(e => e.Path, StringComparer.Ordinal)
                .Select(e => Entry(e, relative.Length == 0 ? e.Path : relative + "/" + e.Path)).ToList();
            return Results.Json(new { snapshot = WebBackend.Describe(snapshot.Record), path = relative, entries });
        });
        app.MapGet("/api/snapshots/{id:long}/versions", async (long id, string? path, HttpContext http) =>
            Results.Json(await VersionsAsync(backend, id, SnapshotPath.Normalize(path), http.RequestAborted)));
        app.MapGet("/api/snapshots/{id:long}/file", async (long id, string? path, HttpContext http) =>
        {
            var relative = SnapshotPath.Normalize(path);
            await using var snapshot = await backend.OpenSnapshotAsync(id, http.RequestAborted);
            using var selection = await snapshot.SelectAsync(relative, http.RequestAborted);
            if (selection.Type != FileType.File)
            {
                throw new WebRequestException(StatusCodes.Status400BadRequest, $"'{Formatting.Path(relative)}' is not a file in snapshot {id}: download a folder as a zip");
            }
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = selection.Top.Size;
            http.Response.Headers[HeaderNames.ContentDisposition] = Attachment(selection.Name);
            await selection.CopyFileAsync(http.Response.Body, relative, http.RequestAborted);
        });
        app.MapGet("/api/snapshots/{id:long}/zip", async (long id, string? path, HttpContext http) =>
        {
            var relative = SnapshotPath.Normalize(path);
            await using var snapshot = await backend.OpenSnapshotAsync(id, http.RequestAborted);
            using var selection = await snapshot.SelectAsync(relative, http.RequestAborted);
            if (selection.Type != FileType.Directory)
            {
                throw new WebRequestException(StatusCodes.Status400BadRequest, $"'{Formatting.Path(relative)}' is not a folder in snapshot {id}: download it as a file");
            }
            // ZipArchive writes some of its records synchronously even through its asynchronous API (seen: the archive
            // ended after its first local header), and Kestrel refuses synchronous writes unless allowed.
            http.Features.Get<IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
            http.Response.ContentType = "application/zip";
            http.Response.Headers[HeaderNames.ContentDisposition] = Attachment(WebZip.FolderName(selection) + ".zip");
            // Names holding a backslash are left out of the zip and listed in it (WebZip); their count is said here too.
            http.Response.Headers["X-Backup-Left-Out"] = WebZip.LeftOut(selection).Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WebZip.WriteAsync(selection, http.Response.Body, http.RequestAborted);
        });
        app.MapGet("/api/diff", async (long from, long to, HttpContext http) => Results.Json(await DiffAsync(backend, from, to, http.RequestAborted)));
    }

    private static object Entry(RestoreEntry e, string path) => new
    {
        name = path[(path.LastIndexOf('/') + 1)..],
        path,
        type = e.Type switch { FileType.Directory => "dir", FileType.File => "file", FileType.Symlink => "symlink", _ => "other" },
        size = e.Size,
        mtime = DateTimeOffset.UnixEpoch.AddTicks(e.MtimeNs / 100),
        mode = Convert.ToString(e.Permissions, 8),
    };

    private static string Attachment(string name)
    {
        var header = new ContentDispositionHeaderValue("attachment");
        header.SetHttpFileName(name);
        return header.ToString();
    }

    /// <summary>
    /// The entry at <paramref name="path"/> in every snapshot of snapshot <paramref name="id"/>'s watched path and
    /// destination, oldest first; <c>changed</c> when its size or mtime differs from the version before. A repository
    /// is opened once for all of them.
    /// </summary>
    private static async Task<object> VersionsAsync(WebBackend backend, long id, string path, CancellationToken cancellationToken)
    {
        await using var first = await backend.OpenSnapshotAsync(id, cancellationToken);
        var destination = CatalogStore.DestinationOf(first.Record.Archive);
        List<SnapshotRecord> all;
        using (var catalog = backend.OpenCatalog())
        {
            all = [.. catalog.ListSnapshots(first.Record.Path).Where(r => CatalogStore.DestinationOf(r.Archive) == destination)];
        }
        var present = first.Open is null ? null : (await first.Open.Repository.ListSnapshotIdsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var versions = new List<object>();
        (long Size, long Mtime)? previous = null;
        foreach (var record in all)
        {
            using var found = await FindAsync(first, present, record, path, cancellationToken);
            var now = found is null ? ((long, long)?)null : (found.Top.Size, found.Top.MtimeNs);
            versions.Add(new
            {
                snapshot = WebBackend.Describe(record),
                present = found is not null,
                type = found?.Type.ToString().ToLowerInvariant(),
                size = found?.Top.Size,
                mtime = found is null ? (DateTimeOffset?)null : DateTimeOffset.UnixEpoch.AddTicks(found.Top.MtimeNs / 100),
                changed = now != previous,
            });
            previous = now;
        }
        return new { path, source = first.Record.Path, versions };
    }

    /// <summary>The entry at <paramref name="path"/> of <paramref name="record"/>, in the repository <paramref name="open"/> has open; null when absent or gone.</summary>
    private static async Task<DumpSelection?> FindAsync(WebSnapshot open, HashSet<string>? present, SnapshotRecord record, string path, CancellationToken cancellationToken)
    {
        if (open.Open is null)
        {
            return File.Exists(record.Archive) ? SnapshotPaths.Find(record.Archive, record.Path, record.Time, path) : null;
        }
        if (SnapshotIds.RepositoryIdOf(record.Archive) is not { } rid || !present!.Contains(rid))
        {
            return null;
        }
        var snapshot = await open.Open.Repository.LoadSnapshotAsync(rid, cancellationToken);
        return await SnapshotPaths.FindAsync(open.Open.Repository, snapshot, path, cancellationToken);
    }

    private static async Task<object> DiffAsync(WebBackend backend, long from, long to, CancellationToken cancellationToken)
    {
        await using var older = await backend.OpenSnapshotAsync(from, cancellationToken);
        if (older.Open is null)
        {
            throw new WebRequestException(StatusCodes.Status400BadRequest, $"snapshot {from} is a zip archive: diff compares repository snapshots");
        }
        var (a, b) = (older.Record, backend.Record(to));
        if (SnapshotIds.RepositoryIdOf(b.Archive) is not { } newerId || CatalogStore.DestinationOf(b.Archive) != CatalogStore.DestinationOf(a.Archive))
        {
            throw new WebRequestException(StatusCodes.Status400BadRequest, $"snapshots {from} and {to} are not in one repository: diff compares two of one repository");
        }
        var newer = await older.Open.Repository.LoadSnapshotAsync(newerId, cancellationToken);
        var changes = await SnapshotDiff.CompareAsync(older.Open.Repository, older.Snapshot!, newer, cancellationToken);
        return new
        {
            from = WebBackend.Describe(a),
            to = WebBackend.Describe(b),
            added = changes.Count(c => c.Kind == "+"),
            removed = changes.Count(c => c.Kind == "-"),
            modified = changes.Count(c => c.Kind == "M"),
            changes = changes.Select(c => new { change = c.Kind, path = c.Path, before = c.Was?.Size, after = c.Now?.Size }),
        };
    }
}
