using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Storage.Sftp.Tests;

/// <summary>The store contract, for the SFTP store: each store a folder (not yet made) under the test server's root.</summary>
public sealed class SftpBlobStoreConformanceTests : BlobStoreConformance
{
    private readonly Dictionary<IBlobStore, string> _folders = [];

    protected override string? SkipReason => TestServers.Required ? null : TestServers.SftpSkipReason;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        var server = TestServers.RequireSftp();
        var folder = SftpTestStore.NewFolder(server);
        var store = SftpTestStore.Open(server, folder);
        _folders[store] = folder;
        return Task.FromResult<IBlobStore>(store);
    }

    protected override Task DeleteStoreAsync(IBlobStore store)
    {
        SftpTestStore.Remove(_folders[store]);
        return Task.CompletedTask;
    }
}
