namespace Backup.Core.Restore;

/// <summary>
/// An archive holds an entry that would be written outside the restore target, through a symlink, or over another
/// entry. Thrown before anything is written.
/// </summary>
public sealed class UnsafeArchiveException : BackupException
{
    /// <summary>Creates the exception for <paramref name="entryName"/> (printable form) and the reason.</summary>
    public UnsafeArchiveException(string entryName, string reason)
        : base($"refusing to restore: entry '{entryName}' {reason}; nothing was written")
    {
        EntryName = entryName;
    }

    /// <summary>The offending entry, in printable form.</summary>
    public string EntryName { get; } = "";

    /// <summary>For serializers and analyzers; prefer the constructor with an entry name.</summary>
    public UnsafeArchiveException() { }

    /// <summary>For serializers and analyzers; prefer the constructor with an entry name.</summary>
    public UnsafeArchiveException(string message, Exception innerException) : base(message, innerException) { }
}
