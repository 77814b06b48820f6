using System.Security.Cryptography;

namespace Backup.Core.Encryption;

/// <summary>The password does not open the repository's key. The command line maps it to restic's exit code 12.</summary>
public sealed class WrongPasswordException : CryptographicException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public WrongPasswordException() : base("wrong password: it does not open any key of the repository") { }

    /// <summary>For serializers and analyzers.</summary>
    public WrongPasswordException(string message) : base(message) { }

    /// <summary>For serializers and analyzers.</summary>
    public WrongPasswordException(string message, Exception innerException) : base(message, innerException) { }
}
