
namespace Backup.Core.Repositories.Locks;

/// <summary>
/// The lock that a writer took is no longer held (removed, or not refreshed for <see cref="RepositoryLock.StaleAfter"/>):
/// the repository stops before it writes an index or a snapshot, since a prune may be deleting what it would refer to.
/// </summary>
public sealed class RepositoryLockLostException : BackupException
{
    /// <summary>Creates the exception with a message that says why the lock was lost.</summary>
    public RepositoryLockLostException(string message) : base(message, 11) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryLockLostException() : base("the repository lock was lost", 11) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryLockLostException(string message, Exception innerException) : base(message, innerException, 11) { }
}
