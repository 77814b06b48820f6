namespace Backup.Storage.Sftp;

/// <summary>How <see cref="SftpBlobStore"/> logs in and checks the server. Immutable; validated by the store's constructor.</summary>
/// <param name="IdentityFiles">Private key files (OpenSSH or PEM, without passphrase), offered in this order; at least one.</param>
/// <param name="KnownHostsFile">The known_hosts file the server's host key must be in (a missing file knows no host).</param>
/// <param name="ConnectTimeout">How long connecting and the SSH handshake may take.</param>
public sealed record SftpStoreOptions(IReadOnlyList<string> IdentityFiles, string KnownHostsFile, TimeSpan ConnectTimeout)
{
    /// <summary>
    /// How many SFTP connections the store opens at most, each serving one call at a time. One SftpClient is not
    /// documented as safe for concurrent calls (sshnet/SSH.NET#669, #640 report hangs and "message type 52 is not valid"
    /// when one is shared), so calls never share one. Default 4: the repository reads and writes a few packs at a time;
    /// measured on loopback (2 shared cores) 4 connections read 16 MiB packs at 82-121 MiB/s against 44-58 with one, and
    /// small range reads at 240-475/s against 134-226/s; uploads were bound by the CPU there (35-70 MiB/s either way).
    /// </summary>
    public int Connections { get; init; } = 4;

    /// <summary>
    /// How long one SFTP request may wait for its answer before the call fails as transient. Default 2 minutes: far
    /// longer than a loaded server takes to answer one 32 KiB request, short enough that a silently dropped connection
    /// does not hang a backup for good.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How often an idle connection sends an SSH keepalive. Default 30 seconds, as many servers drop a connection idle for
    /// a few minutes (ClientAliveInterval, NAT timeouts).
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);
}
