using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Backup.Core.Storage;

namespace Backup.Testing;

/// <summary>A repository in a local folder, made and opened the short way tests need.</summary>
public static class LocalRepository
{
    /// <summary>Makes the folder <paramref name="path"/> a repository with <paramref name="password"/>.</summary>
    public static async Task<RepositoryIdentity> InitAsync(string path, string? password, KdfParameters? kdf, CancellationToken cancellationToken)
    {
        using var store = new LocalBlobStore(path);
        return await Repository.InitAsync(store, password, kdf, TimeProvider.System, cancellationToken);
    }

    /// <summary>Opens the repository in the folder <paramref name="path"/> with <paramref name="password"/>, loading its index.</summary>
    public static async Task<Repository> OpenAsync(string path, string password, CancellationToken cancellationToken)
    {
        var store = new LocalBlobStore(path);
        try
        {
            return await Repository.OpenAsync(store, new RepositoryOpenOptions { Password = () => password }, cancellationToken);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
