namespace Backup.Core;

/// <summary>
/// An expected failure whose message is written for the user (it names the problem and the path). The command line
/// prints the message without a stack trace and exits with <see cref="ExitCode"/>.
/// </summary>
public class BackupException : Exception
{
    /// <summary>Creates the exception with a user-facing message and the process exit code it maps to (default 1).</summary>
    public BackupException(string message, int exitCode = 1) : base(message) => ExitCode = exitCode;

    /// <summary>Creates the exception with a user-facing message and its cause.</summary>
    public BackupException(string message, Exception innerException) : base(message, innerException) => ExitCode = 1;

    /// <summary>Creates the exception with a user-facing message, its cause and the exit code it maps to.</summary>
    public BackupException(string message, Exception innerException, int exitCode) : base(message, innerException) => ExitCode = exitCode;

    /// <summary>For serializers and analyzers; prefer a constructor with a message.</summary>
    public BackupException() => ExitCode = 1;

    /// <summary>For serializers and analyzers; prefer a constructor with a message.</summary>
    public BackupException(string message) : this(message, 1) { }

    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode { get; }
}
