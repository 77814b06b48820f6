namespace Backup.Core.Archiving;

/// <summary>
/// The archive destination as a whole cannot be used (wrong password, locked, not a repository): every path would fail
/// the same way, so a check stops instead of reporting each path. Carries the exit code of the cause.
/// </summary>
public sealed class DestinationUnavailableException : BackupException
{
    /// <summary>Wraps <paramref name="innerException"/>, keeping its message and giving <paramref name="exitCode"/>.</summary>
    public DestinationUnavailableException(string message, int exitCode, Exception innerException)
        : base(message, innerException, exitCode) { }

    /// <summary>For serializers and analyzers.</summary>
    public DestinationUnavailableException() { }

    /// <summary>For serializers and analyzers.</summary>
    public DestinationUnavailableException(string message) : base(message) { }

    /// <summary>For serializers and analyzers.</summary>
    public DestinationUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
