using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Network;

namespace Backup.Storage.Sftp.Tests;

/// <summary>The store against sshd through a <see cref="FaultProxy"/>: a pack upload cut halfway.</summary>
public sealed class SftpFaultTests : IDisposable
{
    private static readonly StoreRetryOptions s_fastRetries = new()
    {
        MaxAttempts = 3,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(50),
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SftpFact]
    public async Task Commit_CutHalfway_RetryingStoreCompletesItWhole_LeftoversRemovable()
    {
        var server = TestServers.RequireSftp();
        using var proxy = new FaultProxy(server.Host, server.Port);
        var folder = SftpTestStore.NewFolder(server);
        try
        {
            using var store = new RetryingBlobStore(Open(server, proxy, folder), s_fastRetries);
            await store.CreateAsync(CancellationToken.None);
            var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var data = TestTree.RandomBytes(4 << 20, 21);
            using var upload = store.BeginUpload(BlobKind.Pack);
            for (var offset = 0; offset < data.Length; offset += 1 << 20)
            {
                upload.Append(data.AsSpan(offset, 1 << 20));
            }
            proxy.CutAfter(2 << 20, FaultDirection.Upstream);

            await upload.CommitAsync(id, CancellationToken.None);

            Assert.Equal(1, proxy.Cuts);
            Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, id, CancellationToken.None));
            Assert.Equal(data, File.ReadAllBytes(Path.Join(folder, "data", id[..2], id)));
            // The cut attempt's temporary file could not be removed over the cut connection; RemoveLeftoversAsync does.
            await store.RemoveLeftoversAsync(BlobKind.Pack, CancellationToken.None);
            Assert.Equal([Path.Join(folder, "data", id[..2], id)], Directory.GetFiles(Path.Join(folder, "data"), "*", SearchOption.AllDirectories));
        }
        finally
        {
            SftpTestStore.Remove(folder);
        }
    }

    [SftpFact]
    public async Task Commit_CutWithoutRetries_TransientAndNoFileUnderTheName()
    {
        var server = TestServers.RequireSftp();
        using var proxy = new FaultProxy(server.Host, server.Port);
        var folder = SftpTestStore.NewFolder(server);
        try
        {
            using var store = Open(server, proxy, folder);
            await store.CreateAsync(CancellationToken.None);
            var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            using var upload = store.BeginUpload(BlobKind.Pack);
            upload.Append(TestTree.RandomBytes(4 << 20, 22));
            proxy.CutAfter(2 << 20, FaultDirection.Upstream);

            var e = await Assert.ThrowsAsync<TransientStoreException>(() => upload.CommitAsync(id, CancellationToken.None));

            Assert.Contains(id, e.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Join(folder, "data", id[..2], id)));
            Assert.Null(await store.StatAsync(BlobKind.Pack, id, CancellationToken.None));
        }
        finally
        {
            SftpTestStore.Remove(folder);
        }
    }

    private SftpBlobStore Open(SftpServer server, FaultProxy proxy, string folder)
    {
        var knownHosts = Path.Join(_temp.Path, "known_hosts");
        var key = File.ReadAllText(server.KnownHostsFile).Split(' ');
        File.WriteAllText(knownHosts, $"[{server.Host}]:{proxy.Port} {key[1]} {key[2]}");
        var location = StoreLocation.Parse($"sftp://{server.User}@{server.Host}:{proxy.Port}{folder}");
        return new SftpBlobStore(location, SftpTestStore.Options(server, knownHosts) with { Connections = 1 });
    }
}
