using System.CommandLine;
using Backup.Core;
using Backup.Core.Archiving;
using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Encryption;
using Backup.Core.Locking;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>
/// Builds the engine for the commands: the archiver that fits the archive folder (a repository when the folder is one,
/// zip files otherwise), the paths a check must leave alone, and the locks beside the catalog.
/// </summary>
internal static class Composition
{
    /// <summary>
    /// The paths backup itself writes (archive folder, catalog, journal, locks, the daemon's status file, the cache of
    /// remote repositories), in the given form and with symlinks resolved: a watched tree that contains them must not
    /// look changed because of them (a watch would otherwise snapshot its own writes, for ever).
    /// </summary>
    public static HashSet<string> Excluded(CliContext context, CatalogStore catalog, string archiveRoot)
    {
        string[] written =
        [
            archiveRoot,
            context.CacheRoot(),
            catalog.Path,
            catalog.Path + "-wal",
            catalog.Path + "-shm",
            catalog.Path + "-journal",
            WorkLockPath(catalog.Path),
            DaemonLockPath(catalog.Path),
            DaemonStatusFile.PathFor(catalog.Path),
            DaemonStatusFile.PathFor(catalog.Path) + ".tmp",
        ];
        return written.Concat(written.Select(CliContext.Canonical)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// What archives into <paramref name="archiveRoot"/>, as the catalog remembers it: for a repository, an archiver
    /// that opens it (with <paramref name="credentials"/>, checked against the identity recorded at its first use,
    /// taking a shared lock) only when a path has changed; else a zip archiver. A destination never changes kind: a
    /// repository that is gone (config moved away, disk not mounted) is an error (exit 10), never a reason to write
    /// zips. Dispose it when done.
    /// </summary>
    public static OpenArchiver CreateArchiver(
        CliContext context, CatalogStore catalog, RepositoryCredentials credentials, string archiveRoot, IReadOnlySet<string> excluded, ILoggerFactory loggers, string operation,
        KeptRepository? kept = null, ProgressCounters? progress = null)
    {
        var recorded = catalog.FindDestination(archiveRoot);
        if (Stores.HoldsRepository(archiveRoot))
        {
            if (recorded is { Kind: DestinationKind.Zip })
            {
                throw new DestinationUnavailableException(
                    $"{archiveRoot} held zip snapshots when this catalog last wrote there, and now holds a repository: refusing to write to it (give another --archive)",
                    ExitCodes.Failure, new IOException(archiveRoot));
            }
            return new OpenArchiver(new LazyRepositoryArchiver(context, catalog, credentials, archiveRoot, recorded?.Identity, excluded, operation, kept) { Progress = progress });
        }
        if (recorded is { Kind: DestinationKind.Repository })
        {
            throw new DestinationUnavailableException(
                $"the repository at {archiveRoot} is missing (no config and keys there): if it lies on a disk that is not mounted, mount it; nothing was written",
                ExitCodes.NoRepository, new NoRepositoryException(archiveRoot));
        }
        ZipArchiver.RefuseRepositoryFolder(archiveRoot);
        if (recorded is { Kind: DestinationKind.Zip })
        {
            // A zip folder whose every snapshot folder has gone is a disk that is not mounted (or an empty mount point):
            // writing there would put backups on the disk they protect, and hide the real ones.
            var folders = catalog.ListSnapshots(null).Where(r => CatalogStore.DestinationOf(r.Archive) == archiveRoot)
                .Select(r => Path.GetDirectoryName(r.Archive)!).Distinct(StringComparer.Ordinal).ToList();
            if (folders.Count > 0 && !folders.Any(Directory.Exists))
            {
                throw new DestinationUnavailableException(
                    $"the archive folder {archiveRoot} holds none of its snapshot folders: if it lies on a disk that is not mounted, mount it (if you deleted them on purpose, give a new --archive folder); nothing was written",
                    ExitCodes.NoRepository, new DirectoryNotFoundException(archiveRoot));
            }
        }
        return new OpenArchiver(new ZipArchiver(archiveRoot, new ZipArchiverOptions { ExcludedPaths = excluded, Progress = progress }, context.Time, loggers.CreateLogger<ZipArchiver>()));
    }

    /// <summary>Held during one check (run, or one daemon check): two checks never archive the same catalog at once.</summary>
    public static string WorkLockPath(string catalogPath) => catalogPath + ".lock";

    /// <summary>Held for a daemon's whole life: one daemon per catalog.</summary>
    public static string DaemonLockPath(string catalogPath) => catalogPath + ".daemon.lock";

    /// <summary>Takes the work lock, waiting for a check in progress elsewhere and saying so once.</summary>
    public static Task<ProcessLock> AcquireWorkLockAsync(CliContext context, string catalogPath, string role, Action<string> onWait, CancellationToken cancellationToken) =>
        AcquireWorkLockAsync(context, catalogPath, role, onWait, null, cancellationToken);

    /// <summary>Takes the work lock as above; <paramref name="progress"/> counts the wait (the daemon's watchdog sees it go on).</summary>
    public static Task<ProcessLock> AcquireWorkLockAsync(
        CliContext context, string catalogPath, string role, Action<string> onWait, ProgressCounters? progress, CancellationToken cancellationToken) =>
        ProcessLock.AcquireAsync(WorkLockPath(catalogPath), role, onWait, context.Time, progress, cancellationToken);

    /// <summary>An archiver and what must be released with it.</summary>
    public sealed record OpenArchiver(IArchiver Archiver) : IAsyncDisposable
    {
        /// <summary>Opens a repository now rather than at the first change (a daemon proves its password at start); nothing for zips.</summary>
        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            if (Archiver is LazyRepositoryArchiver lazy)
            {
                await lazy.OpenAsync(cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Archiver is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Opens the repository (key derivation, shared lock, then index: see <see cref="OpenRepository"/>) only when a watched
    /// path has changed: a check that finds nothing to do then costs a walk and no more. A lock lost while archiving
    /// stops the whole check, as a repository that cannot be opened does.
    /// </summary>
    private sealed class LazyRepositoryArchiver(
        CliContext context, CatalogStore catalog, RepositoryCredentials credentials, string root, RepositoryIdentity? expected, IReadOnlySet<string> excluded, string operation,
        KeptRepository? kept)
        : IChangeArchiver, IAsyncDisposable
    {
        public string Destination => root;

        public ProgressCounters? Progress { get; init; }

        public async Task<ChangeArchiveResult> ArchiveChangesAsync(
            string sourceRoot, SnapshotBasis? basis, Backup.Core.Changes.ChangedDirectories changes, Backup.Core.Sources.ExcludeRules rules, CancellationToken cancellationToken)
        {
            var archiver = await OpenAsync(cancellationToken);
            try
            {
                return await archiver.ArchiveChangesAsync(sourceRoot, basis, changes, rules, cancellationToken);
            }
            catch (RepositoryLockLostException e)
            {
                throw new DestinationUnavailableException(e.Message, e.ExitCode, e);
            }
        }

        private OpenRepository? _open;
        private RepositoryLock? _keptLock;
        private RepositoryArchiver? _archiver;

        public async Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, Backup.Core.Sources.ExcludeRules rules, CancellationToken cancellationToken)
        {
            var archiver = await OpenAsync(cancellationToken);
            try
            {
                return await archiver.ArchiveAsync(sourceRoot, treeHash, rules, cancellationToken);
            }
            catch (RepositoryLockLostException e)
            {
                throw new DestinationUnavailableException(e.Message, e.ExitCode, e);
            }
        }

        public async Task<ArchiveResult> ArchiveSurveyedAsync(
            string sourceRoot, string treeHash, Backup.Core.Sources.ExcludeRules rules, Backup.Core.Archiving.Trees.TreeSurvey survey, CancellationToken cancellationToken)
        {
            var archiver = await OpenAsync(cancellationToken);
            try
            {
                return await archiver.ArchiveSurveyedAsync(sourceRoot, treeHash, rules, survey, cancellationToken);
            }
            catch (RepositoryLockLostException e)
            {
                throw new DestinationUnavailableException(e.Message, e.ExitCode, e);
            }
        }

        public async Task<Backup.Core.Restore.RestoreResult> RestoreAsync(string archive, string target, Backup.Core.Restore.RestoreOptions options, CancellationToken cancellationToken) =>
            await (await OpenAsync(cancellationToken)).RestoreAsync(archive, target, options, cancellationToken);

        public async Task<RepositoryArchiver> OpenAsync(CancellationToken cancellationToken)
        {
            if (_archiver is not null)
            {
                return _archiver;
            }
            Repository repository;
            try
            {
                if (kept?.Repository is { } open)
                {
                    // Kept open between snapshots: take the lock again, which reads only the index files written since.
                    _keptLock = await RepositoryLock.AcquireAsync(open, operation, exclusive: false,
                        warning => context.Error.WriteLine($"backup: warning: {warning}"), context.Time, cancellationToken);
                    repository = open;
                }
                else
                {
                    _open = await OpenRepository.OpenAsync(context, credentials.Stores, credentials.Options(expected), root, RepositoryAccess.Shared, operation, cancellationToken);
                    repository = _open.Repository;
                    if (kept is not null)
                    {
                        kept.Keep(_open);
                        _keptLock = _open.Lock;
                        _open = null;
                    }
                }
                if (expected is null)
                {
                    catalog.RecordRepository(root, repository.Identity, context.Time.GetUtcNow());
                }
                credentials.Opened(repository);
            }
            catch (Exception e) when (e is WrongPasswordException or BackupException)
            {
                var code = e switch { WrongPasswordException => ExitCodes.WrongPassword, BackupException b => b.ExitCode, _ => ExitCodes.Failure };
                throw new DestinationUnavailableException(e.Message, code, e);
            }
            return _archiver = new RepositoryArchiver(repository, excluded, context.Time,
                warning => context.Error.WriteLine($"backup: warning: {warning}"), Progress);
        }

        public async ValueTask DisposeAsync()
        {
            if (_keptLock is not null)
            {
                await _keptLock.DisposeAsync();
            }
            if (_open is not null)
            {
                await _open.DisposeAsync();
            }
        }
    }
}
