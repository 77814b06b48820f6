using System.Net.Sockets;
using Backup.Core;
using Backup.Core.Storage;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Backup.Storage.Sftp;

/// <summary>
/// A pool of at most <see cref="SftpStoreOptions.Connections"/> logged-in SFTP connections, each lent to one call at a
/// time. A connection that failed is closed, and the next call opens a new one. The host key is checked against the
/// known_hosts file on every connect. Thread-safe.
/// </summary>
internal sealed class SftpConnections : IDisposable
{
    private readonly StoreLocation _location;
    private readonly SftpStoreOptions _options;
    private readonly string _user;
    private readonly string _host;
    private readonly SemaphoreSlim _slots;
    private readonly Stack<SftpClient> _idle = new();
    private readonly Lock _lock = new();
    private bool _connectedOnce;
    private bool _disposed;

    public SftpConnections(StoreLocation location, SftpStoreOptions options)
    {
        _location = location;
        _options = options;
        _user = location.User ?? Environment.UserName;
        _host = location.Host.Trim('[', ']');
        _slots = new SemaphoreSlim(options.Connections, options.Connections);
    }

    /// <summary>user@host:port, for messages.</summary>
    public string Target => $"{_user}@{_location.Host}:{_location.Port}";

    /// <summary>Waits for a free slot and returns a connected client; give it back with <see cref="Return"/>.</summary>
    public async Task<SftpClient> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                SftpClient? client;
                lock (_lock)
                {
                    _idle.TryPop(out client);
                }
                if (client is null)
                {
                    return await ConnectAsync(cancellationToken).ConfigureAwait(false);
                }
                if (client.IsConnected)
                {
                    return client;
                }
                client.Dispose();
            }
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>Gives <paramref name="client"/> back; a <paramref name="broken"/> one is closed instead of kept.</summary>
    public void Return(SftpClient client, bool broken)
    {
        var keep = !broken && client.IsConnected;
        lock (_lock)
        {
            keep &= !_disposed;
            if (keep)
            {
                _idle.Push(client);
            }
        }
        if (!keep)
        {
            client.Dispose();
        }
        _slots.Release();
    }

    private async Task<SftpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var keys = LoadKeys();
        var info = new ConnectionInfo(_host, _location.Port, _user, new PrivateKeyAuthenticationMethod(_user, keys))
        {
            Timeout = _options.ConnectTimeout,
        };
        var client = new SftpClient(info)
        {
            OperationTimeout = _options.OperationTimeout,
            KeepAliveInterval = _options.KeepAliveInterval,
        };
        var knownHosts = KnownHosts.Load(_options.KnownHostsFile);
        string? refusal = null;
        client.HostKeyReceived += (_, e) =>
        {
            refusal = HostKeyRefusal(knownHosts, e);
            e.CanTrust = refusal is null;
        };
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            _connectedOnce = true;
            return client;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            client.Dispose();
            if (refusal is not null)
            {
                throw new BackupException(refusal, e);
            }
            if (e is SshAuthenticationException)
            {
                throw new BackupException(
                    $"{Target} accepted none of the identity files ({string.Join(", ", _options.IdentityFiles)}): give --ssh-identity FILE with a key in the server's authorized_keys",
                    e);
            }
            var reason = e is SshOperationTimeoutException or TimeoutException
                ? $"no answer within {_options.ConnectTimeout.TotalSeconds:0} s"
                : e.Message;
            if (_connectedOnce && e is SocketException or SshConnectionException or SshOperationTimeoutException or TimeoutException or ProxyException)
            {
                throw new TransientStoreException($"cannot reconnect to {Target} for {_location.Text}: {reason}", e);
            }
            throw new BackupException($"cannot connect to {Target} for {_location.Text}: {reason} (check the host, the port and that sshd runs there)", e);
        }
    }

    private PrivateKeyFile[] LoadKeys()
    {
        if (_options.IdentityFiles.Count == 0)
        {
            throw new BackupException($"no SSH identity file to log in to {Target}: give --ssh-identity FILE");
        }
        var keys = new List<PrivateKeyFile>();
        var errors = new List<string>();
        foreach (var file in _options.IdentityFiles)
        {
            try
            {
                keys.Add(new PrivateKeyFile(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SshException or ArgumentException or NotSupportedException)
            {
                errors.Add($"{file}: {e.Message}");
            }
        }
        if (keys.Count == 0)
        {
            throw new BackupException($"no usable SSH identity file to log in to {Target} ({string.Join("; ", errors)}): give --ssh-identity FILE with an unencrypted private key");
        }
        return [.. keys];
    }

    private string? HostKeyRefusal(KnownHosts knownHosts, HostKeyEventArgs e)
    {
        var name = KnownHosts.HostName(_host, _location.Port);
        var type = KnownHosts.KeyType(e.HostKey);
        var fingerprint = "SHA256:" + e.FingerPrintSHA256;
        var scan = $"ssh-keyscan{(_location.Port == 22 ? "" : $" -p {_location.Port}")} {_host} >> ~/.ssh/known_hosts";
        return knownHosts.Check(_host, _location.Port, e.HostKey) switch
        {
            KnownHostsMatch.Known => null,
            KnownHostsMatch.Unknown =>
                $"the authenticity of host '{name}' can't be established: {type} key fingerprint is {fingerprint}, and it is not in {_options.KnownHostsFile}. " +
                $"Check the fingerprint with the server's administrator (ssh-keygen -lf on the server's host key), then add it: {scan}",
            KnownHostsMatch.Changed =>
                $"WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for '{name}'! Someone could be eavesdropping on you right now (man-in-the-middle attack), " +
                $"or the host key has just been changed. The {type} key sent is {fingerprint}, and {_options.KnownHostsFile} holds another {type} key for this host. " +
                "Nothing was sent. Find out why before removing the old key (ssh-keygen -R HOST) and adding the new one.",
            _ => $"the {type} host key {fingerprint} of '{name}' is marked @revoked in {_options.KnownHostsFile}: refusing to connect",
        };
    }

    /// <summary>Closes every idle connection; connections lent out are closed when given back.</summary>
    public void Dispose()
    {
        SftpClient[] idle;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var client in idle)
        {
            client.Dispose();
        }
    }
}
