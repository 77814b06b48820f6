using System.Net.Sockets;
using Backup.Core.Storage;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Backup.Storage.Sftp;

/// <summary>
/// A repository in a folder of an SFTP server (<c>sftp://user@host:port/path</c>), reached with SSH.NET over a small pool
/// of connections (<see cref="SftpStoreOptions.Connections"/>). The server's host key must be in the known_hosts file
/// (an unknown or changed key is refused, naming its SHA256 fingerprint); login is by private key only.
/// <para>
/// Writes go to a hidden temporary file in the target folder (<c>.name.tmp-PID-RANDOM</c>, mode 0600) and are renamed
/// onto the final name with <c>posix-rename@openssh.com</c>, which replaces an existing file atomically; folders are
/// created on demand, mode 0700.
/// </para>
/// <para>
/// Durability: SSH.NET (2026.0.0) sends no <c>fsync@openssh.com</c> and exposes no raw extended request, so a file is
/// durable once the server's operating system writes its page cache out (seconds on Linux), not when a write returns.
/// The rename is atomic on the server, so a crash of the server loses at most recent files whole: on ext4 (auto_da_alloc)
/// and XFS a file replaced by rename is not seen empty, but a crash of the server right after a write may lose it.
/// </para>
/// <para>
/// Symlinks: SSH.NET resolves every path on the server (<c>SSH_FXP_REALPATH</c>) before it uses it, so a symlink planted
/// in the repository would be followed by any call. Each path is therefore looked up first and refused unless the server
/// resolves it to itself (no symlink anywhere below the root, which is resolved once, so it may be the user's symlink),
/// and only regular files are read. SFTP has no open that refuses symlinks, so a symlink swapped in between that check and
/// the call is followed: the check narrows the window to one round trip, it cannot close it.
/// </para>
/// Thread-safe; disposing closes the connections.
/// </summary>
public sealed partial class SftpBlobStore : IBlobStore
{
    private const string TempMarker = ".tmp-";

    // Bounds on what ReadAsync allocates, as LocalBlobStore: a pack is 16 MiB, any other file a few MiB.
    private const long MaxPackSize = 1L << 30;
    private const long MaxObjectSize = 256L << 20;
    private const short PrivateDirectory = 700;
    private const short PrivateFile = 600;

    private readonly StoreLocation _location;
    private readonly SftpConnections _connections;
    private volatile string? _root;

    /// <summary>
    /// Opens the store at <paramref name="location"/> (an sftp:// location). Nothing is connected until the first call.
    /// Throws <see cref="ArgumentException"/> for another scheme or invalid options.
    /// </summary>
    public SftpBlobStore(StoreLocation location, SftpStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        if (location.Scheme != StoreScheme.Sftp)
        {
            throw new ArgumentException($"not an sftp:// location: {location.Text}", nameof(location));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connections, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero, nameof(options));
        _location = location;
        _connections = new SftpConnections(location, options);
    }

    /// <inheritdoc/>
    public string Location => _location.Text;

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken) =>
        RunAsync("create the repository folder", async (client, root) =>
        {
            var parts = root.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var path = "";
            foreach (var part in parts)
            {
                path += "/" + part;
                // The root and the folders above it are the user's: their symlinks are followed, as LocalBlobStore does.
                if (await FolderExistsAsync(client, path, follow: true, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
                await MakeFolderAsync(client, path, cancellationToken).ConfigureAwait(false);
            }
            _root = null;
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        RunAsync("look into the repository folder", async (client, root) =>
        {
            var entry = await LstatAsync(client, root, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return true;
            }
            if (!entry.IsDirectory)
            {
                return false;
            }
            await foreach (var file in client.ListDirectoryAsync(root, cancellationToken).ConfigureAwait(false))
            {
                if (file.Name is not ("." or ".."))
                {
                    return false;
                }
            }
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    public Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var relative = BlobNames.RelativePath(kind, name);
        return RunAsync(relative, async (client, root) =>
        {
            ISftpFile? entry;
            try
            {
                entry = await LstatAsync(client, root + "/" + relative, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                // A symlink planted under the name, as LocalBlobStore: this store never wrote it, so there is no such file.
                entry = null;
            }
            return entry is { IsRegularFile: true }
                ? new BlobInfo(entry.Attributes.Size, new DateTimeOffset(entry.Attributes.LastWriteTimeUtc, TimeSpan.Zero))
                : null;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>A symlink or anything but a regular file under the name is refused (<see cref="InvalidDataException"/>): SSH.NET would delete its target.</remarks>
    public Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var relative = BlobNames.RelativePath(kind, name);
        return RunAsync(relative, async (client, root) =>
        {
            var path = root + "/" + relative;
            var entry = await LstatAsync(client, path, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return true;
            }
            if (!entry.IsRegularFile)
            {
                throw new InvalidDataException($"not a regular file, not deleting it: {Location}/{relative}");
            }
            try
            {
                await client.DeleteFileAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpPathNotFoundException)
            {
                // Deleted by another process since the lookup: what was asked for.
            }
            return true;
        }, cancellationToken);
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _connections.Dispose();

    /// <summary>
    /// Runs <paramref name="operation"/> on a lent connection with the resolved root folder, and turns SSH.NET's failures
    /// into the store's: a cut connection or a timeout into <see cref="TransientStoreException"/> (and the connection is
    /// dropped, so the next call reconnects), a denied request into <see cref="UnauthorizedAccessException"/>, another
    /// server error into <see cref="IOException"/>, each naming the store and <paramref name="what"/>.
    /// </summary>
    private async Task<T> RunAsync<T>(string what, Func<SftpClient, string, Task<T>> operation, CancellationToken cancellationToken)
    {
        var client = await _connections.RentAsync(cancellationToken).ConfigureAwait(false);
        var broken = true;
        try
        {
            var root = _root ?? await ResolveRootAsync(client, cancellationToken).ConfigureAwait(false);
            var result = await operation(client, root).ConfigureAwait(false);
            broken = false;
            return result;
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw new TransientStoreException($"{Location}: {what}: connection to {_connections.Target} failed ({e.Message})", e);
        }
        catch (SftpPermissionDeniedException e)
        {
            broken = false;
            throw new UnauthorizedAccessException($"{Location}: {what}: permission denied by {_connections.Target}", e);
        }
        catch (SftpPathNotFoundException e)
        {
            broken = false;
            throw new FileNotFoundException($"{Location}: {what}: no such file or folder", e);
        }
        catch (SshException e) when (e is not SshConnectionException)
        {
            broken = false;
            throw new IOException($"{Location}: {what}: {_connections.Target} answered: {e.Message}", e);
        }
        catch (IOException)
        {
            broken = false;
            throw;
        }
        finally
        {
            _connections.Return(client, broken);
        }
    }

    private static bool IsTransient(Exception e) =>
        e is SshConnectionException or SshOperationTimeoutException or SocketException or ProxyException or TimeoutException or ObjectDisposedException
        || (e.GetType() == typeof(IOException) && e.InnerException is SocketException);

    /// <summary>
    /// The repository folder as the server names it: the location's path (under the login folder when relative) with the
    /// user's own symlinks resolved once. Kept once the folder exists; until then the unresolved path.
    /// </summary>
    private async Task<string> ResolveRootAsync(SftpClient client, CancellationToken cancellationToken)
    {
        var path = _location.Path.StartsWith('/') ? _location.Path : client.WorkingDirectory.TrimEnd('/') + "/" + _location.Path;
        ISftpFile entry;
        try
        {
            entry = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            return path;
        }
        if (!entry.IsDirectory)
        {
            throw new IOException($"not a folder: {Location} ({entry.FullName} on the server)");
        }
        return _root = entry.FullName;
    }

    /// <summary>
    /// The entry at <paramref name="path"/>, or null when there is none. Throws <see cref="InvalidDataException"/> when
    /// the server resolves the path to another one: a symlink is in it, and no call may follow it.
    /// </summary>
    private async Task<ISftpFile?> LstatAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        ISftpFile entry;
        try
        {
            entry = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }
        if (entry.FullName != path)
        {
            throw new InvalidDataException($"repository path is a symlink or lies behind one (refusing to follow it to {entry.FullName}): {path} in {Location}");
        }
        return entry;
    }

    /// <summary>
    /// True when the folder <paramref name="path"/> exists; throws <see cref="InvalidDataException"/> when it is not a
    /// folder, or is reached through a symlink (unless <paramref name="follow"/>, for the folders above the repository).
    /// </summary>
    private async Task<bool> FolderExistsAsync(SftpClient client, string path, bool follow, CancellationToken cancellationToken)
    {
        ISftpFile? entry;
        if (follow)
        {
            try
            {
                entry = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpPathNotFoundException)
            {
                entry = null;
            }
        }
        else
        {
            entry = await LstatAsync(client, path, cancellationToken).ConfigureAwait(false);
        }
        if (entry is null)
        {
            return false;
        }
        if (!entry.IsDirectory)
        {
            throw new InvalidDataException($"repository folder is not a directory: {path} in {Location}");
        }
        return true;
    }

    /// <summary>Creates the folder <paramref name="path"/>, mode 0700; a folder made meanwhile by another writer is fine.</summary>
    private async Task MakeFolderAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SshException e) when (e is not (SshConnectionException or SftpPermissionDeniedException))
        {
            if (!await FolderExistsAsync(client, path, follow: false, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
            return;
        }
        client.ChangePermissions(path, PrivateDirectory);
    }
}
