namespace Backup.Core.Storage;

/// <summary>
/// A store call failed in a way that trying again may fix: a timeout, a cut connection, a server error (5xx), throttling.
/// Stores throw it for those failures only; a missing file, denied access or a full bucket is thrown as what it is
/// (<see cref="FileNotFoundException"/>, <see cref="BackupException"/>), so that it fails at once.
/// The retrying decorator of Storage retries these.
/// </summary>
public sealed class TransientStoreException : IOException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the store and the object.</summary>
    public TransientStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
