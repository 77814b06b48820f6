namespace Backup.Cli;

/// <summary>
/// What a command does to a repository, and so which lock <see cref="OpenRepository"/> takes and whether it loads the
/// index (after the lock: kopia's repositoryReaderAction and repositoryWriterAction declare the same).
/// </summary>
/// <param name="Lock">Whether the command takes a lock at all.</param>
/// <param name="ExclusiveLock">An exclusive lock: nothing else may run.</param>
/// <param name="LoadIndex">Whether the index is loaded, once the lock is held.</param>
internal sealed record RepositoryAccess(bool Lock, bool ExclusiveLock, bool LoadIndex)
{
    /// <summary>Reads keys or locks only (key list, unlock, the daemon's password probe): no lock, no index.</summary>
    public static RepositoryAccess KeysOnly { get; } = new(false, false, false);

    /// <summary>
    /// Reads snapshots and data, or adds to them (ls, diff, check, stats, snapshots, restore, run): a shared lock, so that
    /// prune cannot delete what is read or referred to, then the index.
    /// </summary>
    public static RepositoryAccess Shared { get; } = new(true, false, true);

    /// <summary>Adds a key (key add): a shared lock, no index.</summary>
    public static RepositoryAccess SharedKeys { get; } = new(true, false, false);

    /// <summary>Deletes snapshots or data (forget, prune): an exclusive lock, then the index.</summary>
    public static RepositoryAccess Exclusive { get; } = new(true, true, true);

    /// <summary>Rewrites the index or removes keys (repair index, key remove, key passwd): an exclusive lock, no index.</summary>
    public static RepositoryAccess ExclusiveKeys { get; } = new(true, true, false);
}
