using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Restore;
using Backup.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// What the page starts: a restore (<c>POST /api/restore</c>) and a check (<c>POST /api/check</c>), each a
/// background job whose progress <c>GET /api/jobs/ID</c> reports.
/// </summary>
internal static class WebJobEndpoints
{
    /// <summary>A restore asked for: <see cref="Path"/> of snapshot <see cref="Snapshot"/> into <see cref="Target"/>, an absolute folder.</summary>
    public sealed record RestoreRequest(long Snapshot, string? Path, string? Target, bool Overwrite);

    public static void Map(WebApplication app, WebBackend backend)
    {
        app.MapPost("/api/restore", (RestoreRequest request) => Results.Json(StartRestore(backend, request).ToJson(), statusCode: StatusCodes.Status202Accepted));
        app.MapPost("/api/check", () =>
        {
            if (!Stores.HoldsRepository(backend.ArchiveRoot))
            {
                throw new WebRequestException(StatusCodes.Status400BadRequest, $"{Formatting.Path(backend.ArchiveRoot)} holds zip archives: check applies to a repository");
            }
            var job = backend.Jobs.Start("check", backend.ArchiveRoot, (job, token) => CheckAsync(backend, job, token));
            return Results.Json(job.ToJson(), statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/api/jobs/{id}", (string id) => Results.Json(backend.Jobs.Get(id).ToJson()));
    }

    /// <summary>
    /// Checks the request and the target as <c>backup restore</c> does, before anything runs (so that a refusal is
    /// the answer to the POST), then restores in the background with the same engine and rules: the target must be
    /// empty or absent unless <see cref="RestoreRequest.Overwrite"/>, nothing is written outside it or through a
    /// symlink. A path is restored as <c>backup restore --include PATH</c> restores it: at TARGET/PATH.
    /// </summary>
    private static WebJob StartRestore(WebBackend backend, RestoreRequest request)
    {
        var path = SnapshotPath.Normalize(request.Path);
        if (request.Target is not { Length: > 0 } target || !target.StartsWith('/'))
        {
            throw new WebRequestException(StatusCodes.Status400BadRequest, "give the target as an absolute folder (/home/me/restored)");
        }
        target = backend.Context.FullPath(target);
        // Answered now, not as a job that fails later: the engine refuses it too (RestoreTarget), this is the early word.
        if (!request.Overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new WebRequestException(StatusCodes.Status409Conflict, $"the target {Formatting.Path(target)} is not empty: restore into an empty or new folder, or ask to overwrite");
        }
        var record = backend.Record(request.Snapshot);
        var made = RestoreCommand.CheckTarget(target);
        return backend.Jobs.Start("restore", target, async (job, token) =>
        {
            var options = new RestoreOptions
            {
                Overwrite = request.Overwrite,
                Include = path.Length == 0 ? [] : [Escape(path)],
                RestoreOwners = Environment.IsPrivilegedProcess,
                Progress = job.Progress,
            };
            RestoreResult result;
            await using (var snapshot = await backend.OpenSnapshotAsync(record.Id, token))
            {
                result = snapshot.Open is not null
                    ? await new RepositoryArchiver(snapshot.Open.Repository).RestoreAsync(snapshot.RepositoryId!, target, options, token)
                    : await new ZipArchiver(System.IO.Path.GetDirectoryName(record.Archive)!).RestoreAsync(record.Archive, target, options, token);
            }
            if (options.Selection.IsFiltered && result.Files + result.Directories + result.Symlinks == 0 && result.Failures.Count == 0)
            {
                RestoreCommand.RemoveEmpty(target, made);
                throw new WebRequestException(StatusCodes.Status404NotFound, $"nothing in snapshot {record.Id} at '{Formatting.Path(path)}': nothing was restored");
            }
            return new
            {
                target,
                files = result.Files,
                directories = result.Directories,
                symlinks = result.Symlinks,
                bytes = result.Bytes,
                warnings = result.Warnings,
                failures = result.Failures.Select(f => new { path = f.Path, reason = f.Reason }),
            };
        });
    }

    /// <summary>The include pattern that matches exactly <paramref name="path"/>: its wildcards escaped.</summary>
    internal static string Escape(string path) =>
        path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("?", "\\?", StringComparison.Ordinal);

    private static async Task<object> CheckAsync(WebBackend backend, WebJob job, CancellationToken cancellationToken)
    {
        await using var open = await backend.OpenRepositoryAsync(backend.ArchiveRoot, "web check", cancellationToken);
        var report = await new RepositoryChecker(open.Repository, job.Progress).CheckAsync(PackSubset.None, cancellationToken);
        backend.State.Checked(new WebState.LastCheck(backend.Context.Time.GetUtcNow(), report));
        return new { ok = report.Errors.Count == 0, errors = report.Errors, warnings = report.Warnings, snapshots = report.Snapshots, trees = report.Trees, packs = report.Packs };
    }
}
