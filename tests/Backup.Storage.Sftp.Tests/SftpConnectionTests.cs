using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Backup.Core;
using Backup.Testing;

namespace Backup.Storage.Sftp.Tests;

/// <summary>Logging in: the host key against known_hosts, the identity files, an unreachable server.</summary>
public sealed class SftpConnectionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SftpFact]
    public async Task Connect_EmptyKnownHosts_RefusesNamingTheFingerprint()
    {
        var server = TestServers.RequireSftp();
        var knownHosts = Path.Join(_temp.Path, "known_hosts");
        File.WriteAllText(knownHosts, "");

        var e = await Assert.ThrowsAsync<BackupException>(() => IsEmptyAsync(server, SftpTestStore.Options(server, knownHosts)));

        Assert.Contains($"[{server.Host}]:{server.Port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("SHA256:" + ServerFingerprint(server), e.Message, StringComparison.Ordinal);
        Assert.Contains($"ssh-keyscan -p {server.Port} {server.Host} >> ~/.ssh/known_hosts", e.Message, StringComparison.Ordinal);
    }

    [SftpFact]
    public async Task Connect_MissingKnownHosts_Refuses()
    {
        var server = TestServers.RequireSftp();

        var e = await Assert.ThrowsAsync<BackupException>(() => IsEmptyAsync(server, SftpTestStore.Options(server, Path.Join(_temp.Path, "none"))));

        Assert.Contains("can't be established", e.Message, StringComparison.Ordinal);
    }

    [SftpFact]
    public async Task Connect_ChangedHostKey_RefusesLoudly()
    {
        var server = TestServers.RequireSftp();
        var other = Path.Join(_temp.Path, "other");
        Shell.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other);
        var knownHosts = Path.Join(_temp.Path, "known_hosts");
        var otherKey = File.ReadAllText(other + ".pub").Split(' ');
        File.WriteAllText(knownHosts, $"[{server.Host}]:{server.Port} {otherKey[0]} {otherKey[1]}\n");

        var e = await Assert.ThrowsAsync<BackupException>(() => IsEmptyAsync(server, SftpTestStore.Options(server, knownHosts)));

        Assert.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", e.Message, StringComparison.Ordinal);
        Assert.Contains("SHA256:" + ServerFingerprint(server), e.Message, StringComparison.Ordinal);
    }

    [SftpFact]
    public async Task Connect_HashedKnownHostsEntry_Accepted()
    {
        var server = TestServers.RequireSftp();
        var knownHosts = Path.Join(_temp.Path, "known_hosts");
        File.Copy(server.KnownHostsFile, knownHosts);
        Shell.Run("ssh-keygen", "-q", "-H", "-f", knownHosts);
        Assert.StartsWith("|1|", File.ReadAllText(knownHosts), StringComparison.Ordinal);

        Assert.True(await IsEmptyAsync(server, SftpTestStore.Options(server, knownHosts)));
    }

    [SftpFact]
    public async Task Connect_WrongIdentity_RefusedSayingWhatToDo()
    {
        var server = TestServers.RequireSftp();
        var stranger = Path.Join(_temp.Path, "stranger");
        Shell.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger);

        var e = await Assert.ThrowsAsync<BackupException>(() => IsEmptyAsync(server, SftpTestStore.Options(server, identity: stranger)));

        Assert.Contains($"{server.User}@{server.Host}:{server.Port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("--ssh-identity", e.Message, StringComparison.Ordinal);
    }

    [SftpFact]
    public async Task Connect_SecondIdentityAccepted_LogsIn()
    {
        var server = TestServers.RequireSftp();
        var stranger = Path.Join(_temp.Path, "stranger");
        Shell.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger);
        var options = SftpTestStore.Options(server) with { IdentityFiles = [Path.Join(_temp.Path, "missing"), stranger, server.IdentityFile] };

        Assert.True(await IsEmptyAsync(server, options));
    }

    [SftpFact]
    public async Task Connect_NothingListening_RefusedNamingTheServer()
    {
        var server = TestServers.RequireSftp();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var location = Backup.Core.Storage.StoreLocation.Parse($"sftp://{server.User}@{server.Host}:{port}/srv/none");
        using var store = new SftpBlobStore(location, SftpTestStore.Options(server));

        var e = await Assert.ThrowsAsync<BackupException>(() => store.IsEmptyAsync(CancellationToken.None));

        Assert.Contains($"{server.User}@{server.Host}:{port}", e.Message, StringComparison.Ordinal);
    }

    [SftpFact]
    public async Task Call_ConnectionCut_TransientNamingStoreAndObject_ThenReconnects()
    {
        var server = TestServers.RequireSftp();
        using var proxy = new CuttableProxy(server.Port);
        var knownHosts = Path.Join(_temp.Path, "known_hosts");
        var key = File.ReadAllText(server.KnownHostsFile).Split(' ');
        File.WriteAllText(knownHosts, $"[{server.Host}]:{proxy.Port} {key[1]} {key[2]}");
        var folder = SftpTestStore.NewFolder(server);
        try
        {
            var location = Backup.Core.Storage.StoreLocation.Parse($"sftp://{server.User}@{server.Host}:{proxy.Port}{folder}");
            using var store = new SftpBlobStore(location, SftpTestStore.Options(server, knownHosts) with { Connections = 1 });
            await store.CreateAsync(CancellationToken.None);
            var name = new string('7', 64);
            var data = new byte[1 << 20];
            new Random(1).NextBytes(data);
            await store.WriteAsync(Backup.Core.Storage.BlobKind.Index, name, data, CancellationToken.None);

            proxy.CutAfter(64 << 10);

            var e = await Assert.ThrowsAsync<Backup.Core.Storage.TransientStoreException>(() => store.ReadAsync(Backup.Core.Storage.BlobKind.Index, name, CancellationToken.None));
            Assert.Contains(location.Text, e.Message, StringComparison.Ordinal);
            Assert.Contains("index/" + name, e.Message, StringComparison.Ordinal);
            Assert.Equal(data, await store.ReadAsync(Backup.Core.Storage.BlobKind.Index, name, CancellationToken.None));
        }
        finally
        {
            SftpTestStore.Remove(folder);
        }
    }

    private static async Task<bool> IsEmptyAsync(SftpServer server, SftpStoreOptions options)
    {
        using var store = SftpTestStore.Open(server, SftpTestStore.NewFolder(server), options);
        return await store.IsEmptyAsync(CancellationToken.None);
    }

    private static string ServerFingerprint(SftpServer server)
    {
        var key = Convert.FromBase64String(File.ReadAllText(server.KnownHostsFile).Split(' ')[2]);
        return Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');
    }
}
