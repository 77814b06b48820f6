namespace Backup.Testing;

/// <summary>An SFTP server for tests (the loopback sshd of .ci/servers/start), logged into with a key.</summary>
/// <param name="Host">The address to connect to (127.0.0.1).</param>
/// <param name="Port">The TCP port sshd listens on.</param>
/// <param name="User">The user to log in as (the user that ran .ci/servers/start).</param>
/// <param name="IdentityFile">The private key (OpenSSH format, ed25519, no passphrase).</param>
/// <param name="KnownHostsFile">A known_hosts file holding the server's host key for [Host]:Port.</param>
/// <param name="Root">An absolute folder on the server that tests may write into.</param>
public sealed record SftpServer(string Host, int Port, string User, string IdentityFile, string KnownHostsFile, string Root);
