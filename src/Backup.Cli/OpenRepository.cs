using System.CommandLine;
using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// A repository opened the one way every command opens one: keys and config, then the lock that the command's
/// <see cref="RepositoryAccess"/> calls for, then the index. An index read before the lock could list packs that a
/// prune deleted meanwhile. Disposing releases the lock, then the keys.
/// </summary>
internal sealed class OpenRepository : IAsyncDisposable
{
    private OpenRepository(Repository repository, RepositoryLock? held)
    {
        Repository = repository;
        Lock = held;
    }

    /// <summary>The open repository.</summary>
    public Repository Repository { get; }

    /// <summary>The lock held, null for <see cref="RepositoryAccess.KeysOnly"/>.</summary>
    public RepositoryLock? Lock { get; }

    /// <summary>Opens the repository named by <paramref name="archive"/> (or the default archive folder), asking for its password.</summary>
    public static Task<OpenRepository> OpenAsync(
        CliContext context, ParseResult parse, Option<string?> archive, RepositoryAccess access, string operation, CancellationToken cancellationToken) =>
        OpenAsync(context, parse, context.ArchivePath(parse.GetValue(archive), context.CatalogPath(parse.GetValue(GlobalOptions.Db))), access, operation, cancellationToken);

    /// <summary>
    /// Opens the repository at <paramref name="root"/> with the password the command's options and environment give,
    /// checked against the identity that the catalog (when there is one) recorded for it.
    /// </summary>
    public static async Task<OpenRepository> OpenAsync(
        CliContext context, ParseResult parse, string root, RepositoryAccess access, string operation, CancellationToken cancellationToken)
    {
        using var credentials = RepositoryCredentials.From(context, parse);
        return await OpenAsync(context, credentials.Stores, credentials.Options(context.CatalogPath(parse.GetValue(GlobalOptions.Db)), root), root, access, operation, cancellationToken);
    }

    /// <summary>
    /// Opens the repository at <paramref name="root"/> as <paramref name="options"/> say (password or kept key, expected
    /// identity), and takes the lock for <paramref name="operation"/> (warning of stale and unreadable locks on the
    /// error output), then loads the index if <paramref name="access"/> asks for it. Throws
    /// <see cref="NoRepositoryException"/>, <see cref="RepositoryLockedException"/>, and what opening throws.
    /// </summary>
    public static async Task<OpenRepository> OpenAsync(
        CliContext context, StoreSettings stores, RepositoryOpenOptions options, string root, RepositoryAccess access, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        Repository repository;
        var store = Stores.Open(stores, root);
        try
        {
            // A remote repository's index, snapshots and trees are kept in a local cache, so that a backup that finds
            // little new fetches little; a local one is as fast to read as its cache would be.
            var cacheRoot = Stores.IsRemote(root) ? context.CacheRoot() : null;
            repository = await Repository.OpenAsync(store, options with { LoadIndex = false, CacheRoot = cacheRoot }, cancellationToken);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        RepositoryLock? held = null;
        try
        {
            if (access.Lock)
            {
                held = await RepositoryLock.AcquireAsync(repository, operation, access.ExclusiveLock,
                    warning => context.Error.WriteLine($"backup: warning: {warning}"), context.Time, cancellationToken);
            }
            if (access.LoadIndex)
            {
                await repository.ReloadIndexAsync(cancellationToken);
            }
            return new OpenRepository(repository, held);
        }
        catch
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
            repository.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock, then the repository.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Lock is not null)
        {
            await Lock.DisposeAsync();
        }
        Repository.Dispose();
    }
}
