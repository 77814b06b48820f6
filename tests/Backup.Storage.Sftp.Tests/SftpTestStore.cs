using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.Sftp.Tests;

/// <summary>
/// Stores on the SFTP test server, each in a fresh folder under its root. The server runs on this machine
/// (.ci/servers/start), so a test plants files and symlinks in the store's folder directly.
/// </summary>
internal static class SftpTestStore
{
    public static string NewFolder(SftpServer server) => server.Root.TrimEnd('/') + "/store-" + Guid.NewGuid().ToString("n")[..12];

    public static SftpStoreOptions Options(SftpServer server, string? knownHosts = null, string? identity = null) =>
        new([identity ?? server.IdentityFile], knownHosts ?? server.KnownHostsFile, TimeSpan.FromSeconds(20)) { Connections = 2 };

    public static StoreLocation Location(SftpServer server, string folder) =>
        StoreLocation.Parse($"sftp://{server.User}@{server.Host}:{server.Port}{folder}");

    public static SftpBlobStore Open(SftpServer server, string folder, SftpStoreOptions? options = null) =>
        new(Location(server, folder), options ?? Options(server));

    public static void Remove(string folder)
    {
        if (Directory.Exists(folder))
        {
            Shell.Run("rm", "-rf", "--", folder);
        }
    }
}
