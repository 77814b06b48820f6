using System.CommandLine;
using Backup.Core.Archiving;
using Backup.Core.Archiving.Repository;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Locking;
using Backup.Core.Posix;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>
/// Builds the engine for the commands: the archiver that fits the archive folder (a repository when the folder is one,
/// zip files otherwise), the paths a check must leave alone, and the locks beside the catalog.
/// </summary>
internal static class Composition
{
    /// <summary>
    /// The paths backup itself writes (archive folder, catalog, journal, locks), in the given form and with symlinks
    /// resolved: a watched tree that contains them must not look changed because of them.
    /// </summary>
    public static HashSet<string> Excluded(CatalogStore catalog, string archiveRoot)
    {
        string[] written =
        [
            archiveRoot,
            catalog.Path,
            catalog.Path + "-wal",
            catalog.Path + "-shm",
            catalog.Path + "-journal",
            WorkLockPath(catalog.Path),
            DaemonLockPath(catalog.Path),
        ];
        return written.Concat(written.Select(Canonical)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Opens what archives into <paramref name="archiveRoot"/>: the repository there (with the password from
    /// <paramref name="password"/>, taking a shared repository lock) or a zip archiver. Dispose the result when done.
    /// </summary>
    public static async Task<OpenArchiver> OpenArchiverAsync(
        CliContext context, Func<string> password, string archiveRoot, IReadOnlySet<string> excluded, ILoggerFactory loggers, string operation, CancellationToken cancellationToken)
    {
        if (!Repository.Exists(archiveRoot))
        {
            var zip = new ZipArchiver(archiveRoot, new ZipArchiverOptions { ExcludedPaths = excluded }, context.Time, loggers.CreateLogger<ZipArchiver>());
            return new OpenArchiver(zip, null, null);
        }
        var repository = await Repository.OpenAsync(archiveRoot, password, cancellationToken);
        try
        {
            var repositoryLock = await RepositoryLock.AcquireAsync(repository, operation, exclusive: false,
                stale => context.Error.WriteLine($"backup: warning: {stale}"), context.Time, cancellationToken);
            return new OpenArchiver(new RepositoryArchiver(repository, excluded, context.Time), repository, repositoryLock);
        }
        catch
        {
            repository.Dispose();
            throw;
        }
    }

    /// <summary>Opens the repository at <paramref name="root"/>, asking for its password.</summary>
    public static Task<Repository> OpenRepositoryAsync(CliContext context, ParseResult parse, string root, CancellationToken cancellationToken)
    {
        if (!Repository.Exists(root))
        {
            throw new NoRepositoryException(root);
        }
        return Repository.OpenAsync(root, () => Passwords.Read(context, parse), cancellationToken);
    }

    /// <summary>Held during one check (run, or one daemon check): two checks never archive the same catalog at once.</summary>
    public static string WorkLockPath(string catalogPath) => catalogPath + ".lock";

    /// <summary>Held for a daemon's whole life: one daemon per catalog.</summary>
    public static string DaemonLockPath(string catalogPath) => catalogPath + ".daemon.lock";

    /// <summary>Takes the work lock, waiting for a check in progress elsewhere and saying so once.</summary>
    public static Task<ProcessLock> AcquireWorkLockAsync(CliContext context, string catalogPath, string role, Action<string> onWait, CancellationToken cancellationToken) =>
        ProcessLock.AcquireAsync(WorkLockPath(catalogPath), role, onWait, context.Time, cancellationToken);

    /// <summary><paramref name="path"/> with symlinks resolved; for a path that does not exist yet, its parent's.</summary>
    private static string Canonical(string path) =>
        PosixFile.RealPath(path)
        ?? Path.Join(PosixFile.RealPath(Path.GetDirectoryName(path)!) ?? Path.GetDirectoryName(path), Path.GetFileName(path));

    /// <summary>An archiver and what must be released with it.</summary>
    public sealed record OpenArchiver(IArchiver Archiver, Repository? Repository, RepositoryLock? Lock) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Lock is not null)
            {
                await Lock.DisposeAsync();
            }
            Repository?.Dispose();
        }
    }
}
