
namespace Backup.Core.Repositories;

/// <summary>How to unlock a repository and what the opener already knows of it. Immutable.</summary>
public sealed record RepositoryOpenOptions
{
    /// <summary>Gives the password; asked only when a key needs one and no <see cref="Key"/> is given.</summary>
    public Func<string>? Password { get; init; }

    /// <summary>
    /// A master key unlocked earlier (a daemon keeps this instead of the password). It opens the repository only if
    /// the config authenticates under it; the key files are not read. The caller keeps ownership.
    /// </summary>
    public RepositoryKey? Key { get; init; }

    /// <summary>
    /// True when the user configured a password (a file, a variable, a command): the repository must then be opened by
    /// that password. One whose key needs none is refused, since a planted unencrypted key would otherwise silently
    /// take over an encrypted repository.
    /// </summary>
    public bool PasswordConfigured { get; init; }

    /// <summary>The identity recorded when the repository was first used, or null when none is known yet.</summary>
    public RepositoryIdentity? Expected { get; init; }

    /// <summary>Load the index at open. False for commands that take a lock first and load afterwards, and for <c>repair index</c>.</summary>
    public bool LoadIndex { get; init; } = true;

    /// <summary>
    /// The folder under which this repository's cache lives (<c>CacheRoot/&lt;repository id&gt;/</c>: index,
    /// snapshot and key files, and trees), or null for none. Worth it for remote stores; a local one reads as fast
    /// from the repository itself.
    /// </summary>
    public string? CacheRoot { get; init; }
}
