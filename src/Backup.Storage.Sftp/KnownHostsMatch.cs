namespace Backup.Storage.Sftp;

/// <summary>What a known_hosts file says of a host key (<see cref="KnownHosts.Check"/>).</summary>
internal enum KnownHostsMatch
{
    /// <summary>No entry of the host has a key of that type.</summary>
    Unknown,

    /// <summary>An entry of the host holds exactly this key.</summary>
    Known,

    /// <summary>The host is known with a different key of that type: the server changed its key, or someone is in between.</summary>
    Changed,

    /// <summary>The key is marked <c>@revoked</c>.</summary>
    Revoked,
}
