
namespace Backup.Core.Repositories;

/// <summary>
/// The repository at a path is not the one expected: its keys or config were replaced, or it opens without a password
/// although it was encrypted (docs/repository.md, "Threat model"). Exit code 1; nothing is written to it.
/// </summary>
public sealed class RepositoryMismatchException : BackupException
{
    /// <summary>Creates the exception with a message that names the repository and what differs.</summary>
    public RepositoryMismatchException(string message) : base(message, 1) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryMismatchException() : base("the repository is not the one expected", 1) { }

    /// <summary>For serializers and analyzers.</summary>
    public RepositoryMismatchException(string message, Exception innerException) : base(message, innerException) { }
}
