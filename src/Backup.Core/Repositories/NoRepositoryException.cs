
namespace Backup.Core.Repositories;

/// <summary>The folder is not a repository (restic's exit code 10).</summary>
public sealed class NoRepositoryException : BackupException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NoRepositoryException(string path) : base($"no repository at {path} (create one with: backup init --archive {path})", 10) { }

    /// <summary>For serializers and analyzers.</summary>
    public NoRepositoryException() : base("no repository", 10) { }

    /// <summary>For serializers and analyzers.</summary>
    public NoRepositoryException(string message, Exception innerException) : base(message, innerException) { }
}
