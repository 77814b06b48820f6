namespace Backup.Core.Posix;

/// <summary>The kind of a file-system entry, from the <c>S_IFMT</c> bits of its mode. The numbers are persisted in dirhashes.</summary>
public enum FileType : byte
{
    /// <summary>A FIFO, socket, or block or character device: hashed, never read or archived.</summary>
    Other = 0,

    /// <summary>A regular file.</summary>
    File = 1,

    /// <summary>A directory.</summary>
    Directory = 2,

    /// <summary>A symbolic link; never followed.</summary>
    Symlink = 3,
}
