
namespace Backup.Core.Repositories;

/// <summary>The folder is not a repository (restic's exit code 10).</summary>
public sealed class NoRepositoryException : BackupException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NoRepositoryException(string path) : base($"no repository at {path} (create one with: backup init --archive {path})", 10) { }

    /// <summary>
    /// Creates the exception for <paramref name="path"/>, with advice that fits what is there: <c>backup init</c> for an
    /// empty or absent folder (<paramref name="empty"/> true), which is the only kind it accepts; for a folder that holds
    /// other files (false), that it cannot become one; nothing more when that could not be found out (null).
    /// </summary>
    public NoRepositoryException(string path, bool? empty) : base(empty switch
    {
        true => $"no repository at {path} (create one with: backup init --archive {path})",
        false => $"no repository at {path}: the folder holds other files (zip snapshots, perhaps), so `backup init` cannot make it one; "
            + "give the --archive of a repository, or an empty or new folder to init",
        null => $"no repository at {path}",
    }, 10) { }

    /// <summary>For serializers and analyzers.</summary>
    public NoRepositoryException() : base("no repository", 10) { }

    /// <summary>For serializers and analyzers.</summary>
    public NoRepositoryException(string message, Exception innerException) : base(message, innerException) { }
}
