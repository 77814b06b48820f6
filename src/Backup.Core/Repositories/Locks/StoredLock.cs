
namespace Backup.Core.Repositories.Locks;

/// <summary>A file in <c>locks/</c> as <see cref="RepositoryLock.ListAsync"/> found it.</summary>
/// <param name="Name">The lock file's name (the SHA-256 of its bytes).</param>
/// <param name="Lock">What it says, or null when it cannot be read (damaged, or sealed under another key).</param>
/// <param name="IsStale">True when its holder is known to be gone: this host and pid namespace and a dead pid, or not refreshed for <see cref="RepositoryLock.StaleAfter"/>.</param>
public sealed record StoredLock(string Name, LockObject? Lock, bool IsStale);
