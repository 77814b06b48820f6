using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Core.Tests.Storage;

/// <summary>The store contract, for the local store: each store a folder (not yet made) under the temp folder.</summary>
public sealed class LocalBlobStoreConformanceTests : BlobStoreConformance
{
    protected override Task<IBlobStore> CreateStoreAsync() =>
        Task.FromResult<IBlobStore>(new LocalBlobStore(Path.Join(Path.GetTempPath(), "backup-tests", "store-" + Guid.NewGuid().ToString("n")[..12])));

    protected override Task DeleteStoreAsync(IBlobStore store)
    {
        var root = ((LocalBlobStore)store).Root;
        if (Directory.Exists(root))
        {
            Shell.Run("chmod", "-R", "u+rwx", root);
            Shell.Run("rm", "-rf", "--", root);
        }
        return Task.CompletedTask;
    }
}
