
namespace Backup.Core.Repositories.Locks;

/// <summary>Another process holds a conflicting lock on the repository (restic's exit code 11).</summary>
public sealed class RepositoryLockedException : BackupException
{
    /// <summary>Creates the exception with a message naming the holder.</summary>
    public RepositoryLockedException(string message) : base(message, 11) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryLockedException() : base("repository is locked", 11) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryLockedException(string message, Exception innerException) : base(message, innerException) { }
}
