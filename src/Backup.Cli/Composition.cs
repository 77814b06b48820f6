using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Locking;
using Backup.Core.Monitoring;
using Backup.Core.Posix;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>Builds the engine for run and daemon: the zip archiver, the monitor and the locks beside the catalog.</summary>
internal static class Composition
{
    /// <summary>The monitor for <paramref name="catalog"/>, archiving into <paramref name="archiveRoot"/>.</summary>
    public static ChangeMonitor CreateMonitor(CliContext context, CatalogStore catalog, string archiveRoot, ILoggerFactory loggers)
    {
        // The catalog, its journal and locks, and the archive folder change at every check: if a watched tree holds them,
        // they must not count as changes, or every check would archive again.
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
        // Watched paths are stored with symlinks resolved, so the excluded paths are compared in both forms.
        var excluded = written.Concat(written.Select(Canonical)).ToHashSet(StringComparer.Ordinal);
        var archiver = new ZipArchiver(
            archiveRoot,
            new ZipArchiverOptions { ExcludedPaths = excluded },
            context.Time,
            loggers.CreateLogger<ZipArchiver>());
        return new ChangeMonitor(catalog, archiver, excluded, context.Time, loggers.CreateLogger<ChangeMonitor>());
    }

    /// <summary><paramref name="path"/> with symlinks resolved; for a path that does not exist yet, its parent's.</summary>
    private static string Canonical(string path) =>
        PosixFile.RealPath(path)
        ?? Path.Join(PosixFile.RealPath(Path.GetDirectoryName(path)!) ?? Path.GetDirectoryName(path), Path.GetFileName(path));

    /// <summary>Held during one check (run, or one daemon check): two checks never archive the same catalog at once.</summary>
    public static string WorkLockPath(string catalogPath) => catalogPath + ".lock";

    /// <summary>Held for a daemon's whole life: one daemon per catalog.</summary>
    public static string DaemonLockPath(string catalogPath) => catalogPath + ".daemon.lock";

    /// <summary>Takes the work lock, waiting for a check in progress elsewhere and saying so once.</summary>
    public static Task<ProcessLock> AcquireWorkLockAsync(CliContext context, string catalogPath, string role, Action<string> onWait, CancellationToken cancellationToken) =>
        ProcessLock.AcquireAsync(WorkLockPath(catalogPath), role, onWait, context.Time, cancellationToken);
}
