using Backup.Core.Archiving;
using Backup.Core.Archiving.Trees;
using Backup.Core.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Monitoring;

/// <summary>
/// One check, the seed's <c>Monitor.Now()</c> done right: for each watched path, compute its dirhash, and when it differs
/// from the last one recorded for the archiver's destination, archive the path and record the snapshot with the new hash. A path that fails is
/// reported and the others still run; its hash is not updated, so the next check retries it.
/// </summary>
public sealed class ChangeMonitor
{
    private readonly IWatchList _watchList;
    private readonly IArchiver _archiver;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReadOnlySet<string> _excluded;

    /// <summary>
    /// Creates a monitor over <paramref name="watchList"/> that archives with <paramref name="archiver"/>.
    /// <paramref name="excludedPaths"/> are left out of every hash: the archive folder and the catalog, whose own changes
    /// must not make a watched tree that contains them look changed forever.
    /// </summary>
    public ChangeMonitor(IWatchList watchList, IArchiver archiver, IReadOnlySet<string>? excludedPaths = null, TimeProvider? time = null, ILogger<ChangeMonitor>? logger = null)
    {
        _excluded = excludedPaths ?? new HashSet<string>();
        ArgumentNullException.ThrowIfNull(watchList);
        ArgumentNullException.ThrowIfNull(archiver);
        _watchList = watchList;
        _archiver = archiver;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Counts each path's check ("checking": the files and bytes its dirhash walk saw) and archiving ("archiving", against the files and
    /// bytes that walk counted); the same counters should be given to the archiver, which counts what it reads. Null
    /// (the default) counts nothing.
    /// </summary>
    public ProgressCounters? Progress { get; init; }

    /// <summary>Checks every watched path once. Throws only <see cref="OperationCanceledException"/>; every other failure is in the report.</summary>
    public async Task<CheckReport> CheckAsync(CancellationToken cancellationToken)
    {
        var outcomes = new List<PathOutcome>();
        foreach (var watched in _watchList.GetWatchedPaths(_archiver.Destination))
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await CheckPathAsync(watched.Path, watched.LastHash, watched.Rules, cancellationToken));
        }
        return new CheckReport(outcomes);
    }

    /// <summary>Checks one watched path (by its catalog form); like <see cref="CheckAsync"/>, only failures of the destination throw.</summary>
    public async Task<PathOutcome> CheckPathAsync(string path, CancellationToken cancellationToken)
    {
        var watched = _watchList.GetWatchedPaths(_archiver.Destination).FirstOrDefault(w => w.Path == path);
        return await CheckPathAsync(path, watched?.LastHash, watched?.Rules ?? Sources.ExcludeRules.None, cancellationToken);
    }

    private async Task<PathOutcome> CheckPathAsync(string path, string? lastHash, Sources.ExcludeRules rules, CancellationToken cancellationToken)
    {
        try
        {
            if (_excluded.FirstOrDefault(x => path == x || path.StartsWith(x + "/", StringComparison.Ordinal)) is { } inside)
            {
                // Archiving the archive folder would store every earlier archive again, and grow at every check.
                throw new BackupException($"cannot back up {path}: it lies inside {inside}, which backup itself writes");
            }
            // Problems met while hashing are met again, and reported, by the archiver's own walk. A repository's
            // archiving after a change lists again only what the hash's walk found changed (one walk): the walk surveys
            // each directory for it. A first snapshot has no parent to reuse from, so nothing to survey.
            Progress?.Begin("checking", path, "files");
            var repository = lastHash is null ? null : _archiver as IChangeArchiver;
            using var survey = repository is null ? null : new TreeSurvey();
            var (hash, files, bytes) = await Task.Run(
                () => DirHash.ComputeWithTotals(path, survey is null ? _ => { } : survey.Report, cancellationToken, _excluded, rules, Progress, survey is null ? null : survey.Add),
                cancellationToken);
            if (hash == lastHash)
            {
                _logger.LogDebug("{Path}: unchanged", path);
                return new PathOutcome(path, PathStatus.Unchanged);
            }
            Progress?.Begin("archiving", path, "files", files, bytes);
            var result = repository is not null && survey is not null
                ? await repository.ArchiveSurveyedAsync(path, hash, rules, survey, cancellationToken)
                : await _archiver.ArchiveAsync(path, hash, rules, cancellationToken);
            Progress?.End();
            var id = _watchList.RecordSnapshot(path, _archiver.Destination, result, _time.GetUtcNow());
            foreach (var problem in result.Problems)
            {
                _logger.LogWarning("{Path}: could not back up {Entry}: {Reason}", path, problem.Path, problem.Message);
            }
            _logger.LogInformation("{Path}: snapshot {Snapshot}, archived {Files}, {Size} to {Archive}",
                path, Backup.Core.Snapshots.SnapshotIds.Display(id, result.Archive), Quantity.Count(result.Info.Files, "file"), Quantity.Bytes(result.Info.Bytes), result.Archive);
            return new PathOutcome(path, PathStatus.Archived, result, id);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (DestinationUnavailableException)
        {
            throw; // every other path would fail the same way: the check stops and says why once
        }
        catch (Exception e)
        {
            var message = Describe(e);
            _logger.LogError("{Path}: {Message}", path, message);
            _logger.LogDebug(e, "{Path}: details", path);
            return new PathOutcome(path, PathStatus.Failed, Error: message);
        }
    }

    /// <summary>A failure as one line for the log and status: the message of an expected failure, the type too of another.</summary>
    internal static string Describe(Exception e) => e switch
    {
        DirectoryNotFoundException or FileNotFoundException or UnauthorizedAccessException or IOException or BackupException or InvalidDataException => e.Message,
        _ => $"unexpected error: {e.GetType().Name}: {e.Message}",
    };
}
