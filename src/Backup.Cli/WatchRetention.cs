using System.Globalization;
using Backup.Core;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Snapshots;
using Backup.Cli.Commands;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>
/// The retention of <c>backup daemon --watch</c>, run after a snapshot (<see cref="Backup.Core.Monitoring.WatchOptions.AfterSnapshot"/>):
/// at most once per <see cref="Schedule.ForgetEvery"/> (the first time right after the first snapshot), it forgets by its
/// policy the snapshots of this host's watched paths, then, at most once per <see cref="Schedule.PruneEvery"/> and only
/// after something was forgotten, prunes. It holds the daemon's work lock meanwhile (so no snapshot is written while it
/// deletes) and the repository's exclusive lock; when another process holds the repository it gives up until the next
/// turn. Into a zip folder it forgets the same way, without a repository: what the policy does not keep of each watched
/// path's zip snapshots in the folder loses its archive and its catalog row (<see cref="ZipSnapshotRemover"/>), and there
/// is nothing to prune. The policy keeps the newest snapshot of each path, the basis of the watch's next snapshot. Used
/// by one loop: not thread-safe.
/// </summary>
internal sealed class WatchRetention
{
    private const string Operation = "daemon forget";

    private readonly CliContext _context;
    private readonly CatalogStore _catalog;
    private readonly RepositoryCredentials _credentials;
    private readonly string _root;
    private readonly RetentionPolicy _policy;
    private readonly Schedule _schedule;
    private readonly ILogger _logger;
    private readonly bool _zip;
    private readonly ProgressCounters? _progress;
    private DateTimeOffset? _nextForget;
    private DateTimeOffset? _nextPrune;
    private bool _forgottenSincePrune;

    private WatchRetention(
        CliContext context, CatalogStore catalog, RepositoryCredentials credentials, string root, RetentionPolicy policy, Schedule schedule, ILogger logger,
        ProgressCounters? progress)
    {
        _progress = progress;
        _zip = !Stores.HoldsRepository(root);
        _context = context;
        _catalog = catalog;
        _credentials = credentials;
        _root = root;
        _policy = policy;
        _schedule = schedule;
        _logger = logger;
    }

    /// <summary>How often the retention forgets, and prunes.</summary>
    /// <param name="ForgetEvery">The shortest time between two forgets.</param>
    /// <param name="PruneEvery">The shortest time between two prunes.</param>
    public sealed record Schedule(TimeSpan ForgetEvery, TimeSpan PruneEvery)
    {
        /// <summary>
        /// Forget hourly (the finest bucket of the default policy after "within 1h"), prune daily: a prune reads every
        /// tree and may rewrite packs, so it runs far less often than snapshots are written.
        /// </summary>
        public static Schedule Default { get; } = new(TimeSpan.FromHours(1), TimeSpan.FromHours(24));

        /// <summary>
        /// The schedule, or the test seam <c>$BACKUP_TEST_RETENTION_EVERY</c> (seconds, for both: 0 runs after every
        /// snapshot) when it is set.
        /// </summary>
        public static Schedule From(CliContext context) =>
            context.Variable("BACKUP_TEST_RETENTION_EVERY") is { Length: > 0 } text
            && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
                ? new(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(seconds))
                : Default;
    }

    /// <summary>
    /// The retention for a daemon archiving into <paramref name="root"/> (a repository or a zip folder), or null when there
    /// is nothing to apply (<c>--no-forget</c>). <paramref name="progress"/>, when given, counts its waits and its prune
    /// (the daemon's watchdog heartbeat: the retention runs inside a snapshot's busy scope).
    /// </summary>
    public static WatchRetention? Create(
        CliContext context, CatalogStore catalog, RepositoryCredentials credentials, string root, RetentionPolicy? policy, ILoggerFactory loggers,
        ProgressCounters? progress = null)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        if (policy is null || policy.IsEmpty)
        {
            return null;
        }
        return new WatchRetention(context, catalog, credentials, root, policy, Schedule.From(context), loggers.CreateLogger<WatchRetention>(), progress);
    }

    /// <summary>The policy applied.</summary>
    public RetentionPolicy Policy => _policy;

    /// <summary>
    /// Called after each snapshot of <paramref name="path"/>: forgets (and prunes) when its turn has come, else returns
    /// at once. A repository held by another process is logged and waits for the next turn; other failures propagate
    /// to the monitor, which logs them and goes on watching.
    /// </summary>
    public async Task AfterSnapshotAsync(string path, CancellationToken cancellationToken)
    {
        var now = _context.Time.GetUtcNow();
        if (_nextForget is { } next && now < next)
        {
            return;
        }
        // Set first: a failed turn waits for the next one too, rather than retrying after every snapshot.
        _nextForget = now + _schedule.ForgetEvery;
        _logger.LogDebug("the watch retention runs after a snapshot of {Path}: {Policy}", path, _policy);
        using var work = await Composition.AcquireWorkLockAsync(_context, _catalog.Path, Operation,
            holder => _logger.LogInformation("the watch retention waits for {Holder} to finish its check", holder), _progress, cancellationToken);
        if (_zip)
        {
            ForgetZips();
            return;
        }
        OpenRepository open;
        try
        {
            open = await OpenRepository.OpenAsync(_context, _credentials.Stores, _credentials.Options(_catalog.FindDestination(_root)?.Identity),
                _root, RepositoryAccess.Exclusive, Operation, cancellationToken);
        }
        catch (RepositoryLockedException e)
        {
            _logger.LogInformation("the watch retention did not run: {Reason}; trying again after {Next}", e.Message, _nextForget);
            return;
        }
        await using (open)
        {
            var removed = await ForgetAsync(open, cancellationToken);
            if (removed > 0)
            {
                _forgottenSincePrune = true;
                await SnapshotsCommand.RefreshAsync(_context, _catalog, open.Repository, cancellationToken);
            }
            if (_forgottenSincePrune && !(_nextPrune is { } prune && now < prune))
            {
                _nextPrune = now + _schedule.PruneEvery;
                var report = await new Pruner(open.Repository, _context.Time, _progress).PruneAsync(line => _logger.LogDebug("prune: {Line}", line), cancellationToken);
                _forgottenSincePrune = false;
                _logger.LogInformation("pruned {Freed} by the watch retention ({Deleted} deleted, {Repacked} rewritten)",
                    Formatting.Bytes(report.BytesFreed), Formatting.Count(report.PacksDeleted, "pack"), report.PacksRepacked);
            }
        }
    }

    /// <summary>Forgets by the policy, per watched path of this host; returns how many snapshots it removed.</summary>
    private async Task<int> ForgetAsync(OpenRepository open, CancellationToken cancellationToken)
    {
        var repository = open.Repository;
        var watched = _catalog.GetWatchedPaths().Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var snapshots = await repository.ListSnapshotsAsync(warning => _logger.LogWarning("{Warning}", warning), cancellationToken);
        var removed = 0;
        // Another host's snapshots, and those of paths this catalog no longer watches, are the user's to forget.
        var mine = snapshots.Where(s => s.Snapshot.Host == Environment.MachineName && watched.Contains(s.Snapshot.SourcePath));
        foreach (var group in mine.GroupBy(s => (s.Snapshot.Host, s.Snapshot.SourcePath)))
        {
            var (keep, remove) = _policy.Apply(group, s => s.Snapshot.Time);
            foreach (var (id, _) in remove)
            {
                await repository.DeleteSnapshotAsync(id, cancellationToken);
                removed++;
            }
            if (remove.Count > 0)
            {
                _logger.LogInformation("forgot {Count} of {Path} by the watch retention ({Kept} kept)",
                    Formatting.Count(remove.Count, "snapshot"), group.Key.SourcePath, keep.Count);
            }
        }
        return removed;
    }

    /// <summary>
    /// Forgets by the policy the zip snapshots of each watched path in the folder (the caller holds the work lock). Rows
    /// whose archives a crashed forget already deleted are dropped first; an archive that cannot be removed is logged and
    /// kept, with its row.
    /// </summary>
    private void ForgetZips()
    {
        var watched = _catalog.GetWatchedPaths().Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var inFolder = _catalog.ListSnapshots(null).Where(s => ZipForget.IsZipIn(s, _root)).ToList();
        var gone = CatalogRefresh.Run(_catalog, inFolder).Dropped.Select(d => d.Archive).ToHashSet(StringComparer.Ordinal);
        var doomed = new List<SnapshotRecord>();
        foreach (var group in inFolder.Where(s => !gone.Contains(s.Archive) && watched.Contains(s.Path)).GroupBy(s => s.Path, StringComparer.Ordinal))
        {
            var (keep, remove) = _policy.Apply(group, s => s.Time);
            doomed.AddRange(remove);
            if (remove.Count > 0)
            {
                _logger.LogInformation("forgot {Count} of {Path} by the watch retention ({Kept} kept)",
                    Formatting.Count(remove.Count, "zip snapshot"), group.Key, keep.Count);
            }
        }
        if (doomed.Count == 0)
        {
            return;
        }
        foreach (var (snapshot, reason) in ZipSnapshotRemover.Remove(_catalog, _root, doomed).Failures)
        {
            _logger.LogWarning("the watch retention could not forget {Archive}: {Reason}", snapshot.Archive, reason);
        }
    }
}
