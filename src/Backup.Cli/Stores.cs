using Backup.Core;
using Backup.Core.Storage;

namespace Backup.Cli;

/// <summary>The one place that turns a destination (a folder, or an <c>s3://</c> or <c>sftp://</c> URL) into a store.</summary>
internal static class Stores
{
    // Long enough for a server across the world under load, short enough that a wrong host fails before the user wonders.
    private static readonly TimeSpan s_sshConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>True when <paramref name="location"/> is a URL: only a repository can live there, never zip snapshots.</summary>
    public static bool IsRemote(string location) => StoreLocation.IsUrl(location);

    /// <summary>
    /// True when <paramref name="location"/> is, or is meant to be, a repository: a remote store always (opening it
    /// says whether one is there), a folder when it holds one.
    /// </summary>
    public static bool HoldsRepository(string location) => IsRemote(location) || LocalBlobStore.HoldsRepository(location);

    /// <summary>Opens the store at <paramref name="location"/> (canonical, as <see cref="CliContext.ArchivePath"/> gives it). Dispose it when done.</summary>
    public static IBlobStore Open(StoreSettings settings, string location)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!IsRemote(location))
        {
            return new LocalBlobStore(location);
        }
        var parsed = StoreLocation.Parse(location);
        IBlobStore store = parsed.Scheme switch
        {
            StoreScheme.S3 => new Backup.Storage.S3.S3BlobStore(parsed, new Backup.Storage.S3.S3StoreOptions
            {
                Endpoint = settings.S3Endpoint,
                Region = settings.S3Region,
                // The SDK resends a request up to 10 times at once when its connection drops, with no delay: under the
                // retrying decorator's 5 attempts a pack on a link that keeps dropping went 65 times (measured with
                // the fault proxy). Two quick resends cover a stale kept-alive connection; the decorator backs off.
                MaxStaleConnectionRetries = 2,
            }),
            StoreScheme.Sftp => new Backup.Storage.Sftp.SftpBlobStore(parsed, new Backup.Storage.Sftp.SftpStoreOptions(
                settings.SshIdentities, settings.SshKnownHosts, s_sshConnectTimeout)),
            _ => throw new BackupException($"{parsed.Scheme} stores are not built into this executable: {parsed.Text}", ExitCodes.Usage),
        };
        // A remote store's transient failures (a cut connection, a 503) are tried again with backoff before a command fails.
        return new RetryingBlobStore(store);
    }
}
