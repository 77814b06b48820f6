using Backup.Core.Changes;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// Stores snapshots in a deduplicating repository (docs/repository.md). <see cref="ArchiveAsync(string, string, ExcludeRules, CancellationToken)"/> writes a snapshot of
/// a tree, reusing the chunk lists of unchanged files from the newest snapshot of the same path and host;
/// <see cref="RestoreAsync"/> takes a snapshot id (or unique prefix) as its archive. Thread-safe for one call at a time.
/// </summary>
public sealed partial class RepositoryArchiver : IChangeArchiver
{
    private readonly Repository _repository;
    private readonly TimeProvider _time;
    private readonly IReadOnlySet<string> _excluded;
    private readonly Action<string> _onWarning;
    private readonly ProgressCounters? _progress;

    /// <summary>
    /// Creates an archiver over an open repository. <paramref name="excludedPaths"/> are never backed up;
    /// <paramref name="onWarning"/> hears of snapshot files that cannot be read, which are skipped;
    /// <paramref name="progress"/>, when given, counts the files and bytes of a snapshot as they are read (the caller
    /// begins the phase and sets its totals: <see cref="ProgressCounters.Begin"/>).
    /// </summary>
    public RepositoryArchiver(
        Repository repository, IReadOnlySet<string>? excludedPaths = null, TimeProvider? time = null, Action<string>? onWarning = null, ProgressCounters? progress = null)
    {
        _progress = progress;
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _excluded = excludedPaths ?? new HashSet<string>();
        _time = time ?? TimeProvider.System;
        _onWarning = onWarning ?? (_ => { });
    }

    /// <inheritdoc/>
    public string Destination => _repository.Store.Location;

    /// <summary>Where a snapshot's file lies, as recorded in the catalog's <c>archive</c> column.</summary>
    public static string SnapshotPath(string repositoryRoot, string snapshotId) => repositoryRoot.TrimEnd('/') + "/snapshots/" + snapshotId;

    /// <summary>Archives <paramref name="sourceRoot"/> with no exclude rules but the ignore files in the tree.</summary>
    public Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, CancellationToken cancellationToken) =>
        ArchiveAsync(sourceRoot, treeHash, ExcludeRules.None, cancellationToken);

    /// <inheritdoc/>
    public async Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, ExcludeRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceRoot);
        ArgumentNullException.ThrowIfNull(rules);
        var time = _time.GetUtcNow();
        var (parentId, parent, parentIndex) = await LatestOfAsync(sourceRoot, cancellationToken);
        var everything = new ChangedDirectories();
        everything.AddEverything();
        var build = await BuildAsync(sourceRoot, rules, parent, parentIndex, basis: null, new EverythingScope(everything), pruning: false, cancellationToken, dirHash: false, keepBasis: false);
        using var builder = build.Builder;
        var (id, snapshot) = await SaveAsync(sourceRoot, time, parentId, build, treeHash, cancellationToken);
        return new ArchiveResult(SnapshotPath(Destination, id), InfoOf(snapshot), build.Problems) { StoredBytes = snapshot.NewBytes };
    }

    /// <summary>
    /// Archives <paramref name="sourceRoot"/> as <see cref="ArchiveAsync(string, string, ExcludeRules, CancellationToken)"/>
    /// does, after a walk that fed <paramref name="survey"/> (the change check's, under the same rules): a directory
    /// whose surveyed digest equals the parent snapshot's is reused without being listed again, so the tree is walked
    /// once but for the directories that changed and those above them (docs/repository.md, "One walk"). Without a parent
    /// to reuse from, or when a directory to reuse is gone from the repository, the whole tree is walked.
    /// </summary>
    public async Task<ArchiveResult> ArchiveSurveyedAsync(string sourceRoot, string treeHash, ExcludeRules rules, TreeSurvey survey, CancellationToken cancellationToken) =>
        (await ArchiveSurveyedCountingAsync(sourceRoot, treeHash, rules, survey, cancellationToken)).Result;

    /// <summary>As <see cref="ArchiveSurveyedAsync"/>, with the number of subtrees reused unlisted.</summary>
    internal async Task<(ArchiveResult Result, long Reused)> ArchiveSurveyedCountingAsync(
        string sourceRoot, string treeHash, ExcludeRules rules, TreeSurvey survey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceRoot);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(survey);
        var time = _time.GetUtcNow();
        var (parentId, parent, parentIndex) = await LatestOfAsync(sourceRoot, cancellationToken);
        Build? build = null;
        if (parentId is not null && parent is not null && parentIndex is not null)
        {
            var basis = survey.BasisFrom(parentId, parent, parentIndex);
            build = await TryBuildAsync(sourceRoot, rules, parent, parentIndex, basis, new ChangedDirectories(), cancellationToken, keepBasis: false);
        }
        var reused = build?.Builder.ReusedSubtrees ?? 0;
        if (build is null)
        {
            var everything = new ChangedDirectories();
            everything.AddEverything();
            build = await BuildAsync(sourceRoot, rules, parent, parentIndex, basis: null, new EverythingScope(everything), pruning: false, cancellationToken, dirHash: false, keepBasis: false);
        }
        using var builder = build.Builder;
        var (id, snapshot) = await SaveAsync(sourceRoot, time, parentId, build, treeHash, cancellationToken);
        return (new ArchiveResult(SnapshotPath(Destination, id), InfoOf(snapshot), build.Problems) { StoredBytes = snapshot.NewBytes }, reused);
    }

    /// <summary>
    /// The newest snapshot of <paramref name="sourceRoot"/> from this host, with its subtree index: the parent of a full
    /// walk. A snapshot file that cannot be read is skipped (one bad file must not stop every backup).
    /// </summary>
    private async Task<(string? Id, SnapshotObject? Snapshot, SubtreeIndex? Index)> LatestOfAsync(string sourceRoot, CancellationToken cancellationToken)
    {
        var (id, snapshot) = (await _repository.ListSnapshotsAsync(_onWarning, cancellationToken))
            .LastOrDefault(s => s.Snapshot.SourcePath == sourceRoot && s.Snapshot.Host == Environment.MachineName);
        return (id, snapshot, snapshot is null ? null : await SubtreeIndex.LoadAsync(_repository, snapshot, cancellationToken));
    }

    /// <summary>What the catalog records of a snapshot written here.</summary>
    private static SnapshotInfo InfoOf(SnapshotObject snapshot) => new()
    {
        Format = "backup-repository/1",
        SourcePath = snapshot.SourcePath,
        Time = snapshot.Time,
        Hash = snapshot.Hash ?? "",
        Files = snapshot.Files,
        Bytes = snapshot.Bytes,
        Complete = snapshot.Complete,
        Host = snapshot.Host,
    };

    /// <summary>
    /// The checked plan of restoring the snapshot at <paramref name="archive"/> with <paramref name="options"/> (what
    /// <see cref="RestoreAsync"/> would write), reading only its trees; throws as the restore would.
    /// </summary>
    public async Task<RestorePlan> PlanRestoreAsync(string archive, RestoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(options);
        var (_, snapshot) = await _repository.FindSnapshotAsync(Path.GetFileName(archive), cancellationToken);
        var entries = await new SnapshotReader(_repository).ListForRestoreAsync(snapshot, cancellationToken);
        return RestorePlan.Create(entries, options.Selection);
    }

    /// <summary>
    /// What restoring the snapshot at <paramref name="archive"/> with <paramref name="options"/> plans, for comparing a
    /// target with it (<see cref="TargetReconciler"/>): without a filter, a <see cref="SnapshotPlannedTree"/>, which holds
    /// only the snapshot's directories and reads each directory's tree when the target's is compared; with
    /// <c>--include</c> or <c>--exclude</c>, the whole <see cref="PlanRestoreAsync"/> plan, which grows with the number of
    /// files (what is planned in a directory then depends on what lies below it). Throws as the restore would.
    /// </summary>
    public async Task<IPlannedTree> PlanTargetAsync(string archive, RestoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Selection.IsFiltered)
        {
            return new RestorePlanTree(await PlanRestoreAsync(archive, options, cancellationToken));
        }
        var (_, snapshot) = await _repository.FindSnapshotAsync(Path.GetFileName(archive), cancellationToken);
        return await SnapshotPlannedTree.LoadAsync(_repository, snapshot, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<RestoreResult> RestoreAsync(string archive, string target, RestoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var (_, snapshot) = await _repository.FindSnapshotAsync(Path.GetFileName(archive), cancellationToken);
        var reader = new SnapshotReader(_repository);
        // Read and written a batch at a time: the listing of a large snapshot is never held whole.
        var selection = options.Selection;
        var batches = reader.ListInBatchesAsync(snapshot, selection, cancellationToken);
        var totals = selection.IsFiltered ? (-1L, -1L) : (snapshot.Files, snapshot.Bytes);
        return await new RestoreExecutor(options).RestoreAsync(batches, reader, target, totals, cancellationToken);
    }
}
