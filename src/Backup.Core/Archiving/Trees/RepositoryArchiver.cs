using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// Stores snapshots in a deduplicating repository (docs/repository.md). <see cref="ArchiveAsync"/> writes a snapshot of
/// a tree, reusing the chunk lists of unchanged files from the newest snapshot of the same path and host;
/// <see cref="RestoreAsync"/> takes a snapshot id (or unique prefix) as its archive. Thread-safe for one call at a time.
/// </summary>
public sealed partial class RepositoryArchiver : IChangeArchiver
{
    private readonly Repository _repository;
    private readonly TimeProvider _time;
    private readonly IReadOnlySet<string> _excluded;
    private readonly Action<string> _onWarning;

    /// <summary>
    /// Creates an archiver over an open repository. <paramref name="excludedPaths"/> are never backed up;
    /// <paramref name="onWarning"/> hears of snapshot files that cannot be read, which are skipped.
    /// </summary>
    public RepositoryArchiver(Repository repository, IReadOnlySet<string>? excludedPaths = null, TimeProvider? time = null, Action<string>? onWarning = null)
    {
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

    /// <inheritdoc/>
    public async Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceRoot);
        var time = _time.GetUtcNow();
        // A snapshot file that cannot be read is skipped: one bad file must not stop every backup.
        var parent = (await _repository.ListSnapshotsAsync(_onWarning, cancellationToken))
            .LastOrDefault(s => s.Snapshot.SourcePath == sourceRoot && s.Snapshot.Host == Environment.MachineName);
        var problems = new List<TreeProblem>();
        var parentIndex = parent.Snapshot is null ? null : await SubtreeIndex.LoadAsync(_repository, parent.Snapshot, cancellationToken);
        using var builder = new SnapshotTreeBuilder(new TreeBuilderRepository(_repository), parent.Snapshot is null ? null : ChunkId.Parse(parent.Snapshot.Tree), parentIndex, problems.Add);
        // Names that are not UTF-8 are stored as raw bytes, so the walk goes below such directories too.
        var walk = TreeWalker.Walk(sourceRoot, builder.Report, cancellationToken, _excluded, undecodableDirectories: true);
        var root = await builder.BuildAsync(walk, cancellationToken);
        var subtreeIndex = new List<string>();
        foreach (var blob in builder.Index.Encode())
        {
            subtreeIndex.Add((await _repository.SaveBlobAsync(Encryption.BlobType.Tree, blob, cancellationToken)).Id.ToString());
        }
        await _repository.FlushAsync(cancellationToken);
        var snapshot = new SnapshotObject
        {
            Time = time,
            Host = Environment.MachineName,
            Username = Environment.UserName,
            SourcePath = sourceRoot,
            Parent = parent.Id,
            Tree = root.ToString(),
            Hash = treeHash,
            Files = builder.Files,
            Directories = builder.Directories,
            Bytes = builder.Bytes,
            NewChunks = builder.NewChunks,
            NewBytes = builder.NewBytes,
            Complete = problems.Count == 0,
            SubtreeIndex = subtreeIndex,
        };
        var id = await _repository.SaveSnapshotAsync(snapshot, cancellationToken);
                var info = new SnapshotInfo
        {
            Format = "backup-repository/1",
            SourcePath = sourceRoot,
            Time = time,
            Hash = treeHash,
            Files = builder.Files,
            Bytes = builder.Bytes,
            Complete = snapshot.Complete,
            Host = snapshot.Host,
        };
        return new ArchiveResult(SnapshotPath(Destination, id), info, problems);
    }

    /// <inheritdoc/>
    public async Task<RestoreResult> RestoreAsync(string archive, string target, RestoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var (_, snapshot) = await _repository.FindSnapshotAsync(Path.GetFileName(archive), cancellationToken);
        var entries = await new SnapshotReader(_repository).ListAsync(snapshot, cancellationToken);
        var plan = RestorePlan.Create(entries, options.Include);
        return await new RestoreExecutor(options).RestoreAsync(plan, new SnapshotReader(_repository), target, cancellationToken);
    }
}
