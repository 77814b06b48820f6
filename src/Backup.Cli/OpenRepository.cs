using System.CommandLine;
using Backup.Core.Archiving.Repository;

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
        CliContext context, ParseResult parse, Option<string?> archive, RepositoryAccess access, string operation, CancellationToken cancellationToken)
    {
        var root = context.ArchivePath(parse.GetValue(archive), context.CatalogPath(parse.GetValue(GlobalOptions.Db)));
        return OpenAsync(context, () => Passwords.Read(context, parse), root, access, operation, cancellationToken);
    }

    /// <summary>
    /// Opens the repository at <paramref name="root"/>, asking <paramref name="password"/> only when a key needs one, and
    /// takes the lock for <paramref name="operation"/> (warning of stale and unreadable locks on the error output).
    /// Throws <see cref="NoRepositoryException"/>, <see cref="RepositoryLockedException"/>, and what opening throws.
    /// </summary>
    public static async Task<OpenRepository> OpenAsync(
        CliContext context, Func<string> password, string root, RepositoryAccess access, string operation, CancellationToken cancellationToken)
    {
        if (!Repository.Exists(root))
        {
            throw new NoRepositoryException(root);
        }
        var repository = await Repository.OpenAsync(root, password, cancellationToken, loadIndex: false);
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
