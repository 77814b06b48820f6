using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Restore;
using Backup.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// What the page starts: a restore (<c>POST /api/restore</c>) and a check (<c>POST /api/check</c>), each a
/// background job whose progress <c>GET /api/jobs/ID</c> reports; and a restore's dry run, answered at once.
/// </summary>
internal static class WebJobEndpoints
{
    /// <summary>
    /// A restore asked for: <see cref="Path"/> of snapshot <see cref="Snapshot"/> into <see cref="Target"/>, an absolute
    /// folder. <see cref="Delete"/> is <c>backup restore --delete</c> (and implies <see cref="Overwrite"/>);
    /// <see cref="DryRun"/> is <c>--dry-run</c>: answered at once with what would change, writing nothing.
    /// </summary>
    public sealed record RestoreRequest(long Snapshot, string? Path, string? Target, bool Overwrite, bool Delete = false, bool DryRun = false);

    public static void Map(WebApplication app, WebBackend backend)
    {
        app.MapPost("/api/restore", async (RestoreRequest request, CancellationToken cancellationToken) => request.DryRun
            ? Results.Text(await PreviewAsync(backend, request, cancellationToken), "application/json; charset=utf-8")
            : Results.Json(StartRestore(backend, request).ToJson(), statusCode: StatusCodes.Status202Accepted));
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

    /// <summary>What a request restores: checked, with the options of the equivalent <c>backup restore</c>.</summary>
    private sealed record Checked(string Path, string Target, SnapshotRecord Record, RestoreOptions Options, string? Made);

    /// <summary>
    /// Checks the request and the target as <c>backup restore</c> does, before anything runs, so that a refusal is the
    /// answer to the POST: an absolute target, empty or absent unless overwrite (or delete) is asked, and, for a dry
    /// run, checked without writing anything (<see cref="RestoreCommand.CheckTargetWithoutWriting"/>).
    /// </summary>
    private static Checked Check(WebBackend backend, RestoreRequest request)
    {
        var path = SnapshotPath.Normalize(request.Path);
        if (request.Target is not { Length: > 0 } target || !target.StartsWith('/'))
        {
            throw new WebRequestException(StatusCodes.Status400BadRequest, "give the target as an absolute folder (/home/me/restored)");
        }
        target = backend.Context.FullPath(target);
        // Making the target equal to the snapshot replaces what differs: delete without overwriting makes no sense (as --delete).
        var overwrite = request.Overwrite || request.Delete;
        // Answered now, not as a job that fails later: the engine refuses it too (RestoreTarget), this is the early word.
        if (!overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new WebRequestException(StatusCodes.Status409Conflict, $"the target {Formatting.Path(target)} is not empty: restore into an empty or new folder, or ask to overwrite");
        }
        var record = backend.Record(request.Snapshot);
        var made = request.DryRun ? RestoreCommand.CheckTargetWithoutWriting(target) : RestoreCommand.CheckTarget(target);
        var options = new RestoreOptions
        {
            Overwrite = overwrite,
            Include = path.Length == 0 ? [] : [Escape(path)],
            RestoreOwners = Environment.IsPrivilegedProcess,
        };
        return new Checked(path, target, record, options, made);
    }

    /// <summary>
    /// <c>backup restore --dry-run --json</c> for the request: its one JSON object (<see cref="RestoreReport.WriteJson"/>,
    /// <c>dry_run: true</c>), made by the same planner and reconciler, with nothing written; 429 while
    /// <see cref="WebJobs.MaxRunning"/> jobs run.
    /// </summary>
    private static async Task<string> PreviewAsync(WebBackend backend, RestoreRequest request, CancellationToken cancellationToken)
    {
        // It reads the snapshot's directories as a restore's job does: it takes a job's slot while it runs.
        using var slot = backend.Jobs.Reserve();
        var restore = Check(backend, request);
        await using var snapshot = await backend.OpenSnapshotAsync(restore.Record.Id, cancellationToken);
        var changes = await ReconcileAsync(snapshot, restore, preview: true, request.Delete, cancellationToken);
        using var json = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        RestoreReport.WriteJson(
            json, restore.Target, snapshot.RepositoryId, snapshot.Open is null ? restore.Record.Archive : null, RestoreReport.WouldRestore(changes), changes, dryRun: true);
        return json.ToString();
    }

    /// <summary>
    /// Plans the restore and compares the target with it, as <c>backup restore</c> does for <c>--dry-run</c> and
    /// <c>--delete</c>: <paramref name="preview"/> only says what would change; otherwise what the snapshot (its
    /// selected part) lacks is removed from the target, inside it only. 404 when the path selects nothing.
    /// </summary>
    private static async Task<TargetChanges> ReconcileAsync(WebSnapshot snapshot, Checked restore, bool preview, bool delete, CancellationToken cancellationToken)
    {
        var planned = snapshot.Open is not null
            ? await new RepositoryArchiver(snapshot.Open.Repository).PlanTargetAsync(snapshot.RepositoryId!, restore.Options, cancellationToken)
            : new RestorePlanTree(ZipArchiver.PlanRestore(restore.Record.Archive, restore.Options));
        if (restore.Options.Selection.IsFiltered && planned.Total.Total == 0)
        {
            throw NothingAt(restore);
        }
        var reconciler = new TargetReconciler(planned, restore.Options.Selection);
        return preview
            ? await reconciler.PreviewAsync(restore.Target, restore.Options.Overwrite, delete, cancellationToken)
            : await reconciler.DeleteExtrasAsync(restore.Target, cancellationToken);
    }

    /// <summary>
    /// Checks the request (<see cref="Check"/>), then restores in the background with the same engine and rules as
    /// <c>backup restore</c>: nothing is written outside the target or through a symlink. A path is restored as
    /// <c>backup restore --include PATH</c> restores it: at TARGET/PATH. With delete, what the snapshot lacks is removed
    /// first, inside the job (as <c>--delete</c> does, before the restore writes), and the result says what was.
    /// </summary>
    private static WebJob StartRestore(WebBackend backend, RestoreRequest request)
    {
        var restore = Check(backend, request);
        var target = restore.Target;
        return backend.Jobs.Start("restore", target, async (job, token) =>
        {
            var options = restore.Options with { Progress = job.Progress };
            TargetChanges? changes = null;
            RestoreResult result;
            await using (var snapshot = await backend.OpenSnapshotAsync(restore.Record.Id, token))
            {
                if (request.Delete)
                {
                    changes = await ReconcileAsync(snapshot, restore, preview: false, delete: true, token);
                }
                result = snapshot.Open is not null
                    ? await new RepositoryArchiver(snapshot.Open.Repository).RestoreAsync(snapshot.RepositoryId!, target, options, token)
                    : await new ZipArchiver(System.IO.Path.GetDirectoryName(restore.Record.Archive)!).RestoreAsync(restore.Record.Archive, target, options, token);
            }
            if (options.Selection.IsFiltered && result.Files + result.Directories + result.Symlinks == 0 && result.Failures.Count == 0)
            {
                RestoreCommand.RemoveEmpty(target, restore.Made);
                throw NothingAt(restore);
            }
            var deleted = changes is null ? null : DeletedPaths.Keep(changes.DeletedPaths, DeletedPathsKept);
            return new
            {
                target,
                files = result.Files,
                directories = result.Directories,
                symlinks = result.Symlinks,
                bytes = result.Bytes,
                warnings = result.Warnings,
                failures = result.Failures.Select(f => new { path = f.Path, reason = f.Reason }),
                deleted = changes is null ? null : Tally(changes.Deleted),
                deletedPaths = deleted?.Paths,
                deletedCount = deleted?.Count,
                deletedPathsLeftOut = deleted?.LeftOut,
                deleteFailures = changes?.Failures.Select(f => new { path = f.Path, reason = f.Reason }),
            };
        });
    }

    /// <summary>
    /// The deleted paths a restore job keeps in its result, which lives as long as the job: a restore that deletes a
    /// million entries would otherwise hold (and send) every path. The result's <c>deletedCount</c> gives the total,
    /// and <c>deletedPathsLeftOut</c> how many are not listed; <c>backup restore --delete --dry-run</c> lists them all.
    /// </summary>
    internal const int DeletedPathsKept = 1000;

    /// <summary>What a job's result says of the paths a restore deleted.</summary>
    /// <param name="Paths">The first of them, in their order (sorted, a directory after what was in it).</param>
    /// <param name="Count">All of them.</param>
    /// <param name="LeftOut">Those not in <paramref name="Paths"/>.</param>
    internal sealed record DeletedPaths(IReadOnlyList<string> Paths, int Count, int LeftOut)
    {
        /// <summary>The first <paramref name="keep"/> of <paramref name="all"/> (copied: the job may outlive the list), and the counts.</summary>
        public static DeletedPaths Keep(IReadOnlyList<string> all, int keep)
        {
            ArgumentNullException.ThrowIfNull(all);
            ArgumentOutOfRangeException.ThrowIfNegative(keep);
            var kept = all.Count <= keep ? [.. all] : all.Take(keep).ToList();
            return new DeletedPaths(kept, all.Count, all.Count - kept.Count);
        }
    }

    private static object Tally(EntryTally tally) =>
        new { files = tally.Files, directories = tally.Directories, symlinks = tally.Symlinks, other = tally.Other, bytes = tally.Bytes };

    private static WebRequestException NothingAt(Checked restore) =>
        new(StatusCodes.Status404NotFound, $"nothing in snapshot {restore.Record.Id} at '{Formatting.Path(restore.Path)}': nothing was restored");

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
