using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>Entries counted by kind, with the bytes of their files. Filled by one thread, then only read.</summary>
public sealed class EntryTally
{
    /// <summary>Regular files (every name of a hard-linked file).</summary>
    public long Files { get; private set; }

    /// <summary>Directories.</summary>
    public long Directories { get; private set; }

    /// <summary>Symlinks.</summary>
    public long Symlinks { get; private set; }

    /// <summary>FIFOs, sockets and devices.</summary>
    public long Other { get; private set; }

    /// <summary>The sizes of the files counted.</summary>
    public long Bytes { get; private set; }

    /// <summary>Every entry counted.</summary>
    public long Total => Files + Directories + Symlinks + Other;

    internal void Add(FileType type, long bytes)
    {
        switch (type)
        {
            case FileType.File:
                Files++;
                Bytes += bytes;
                break;
            case FileType.Directory:
                Directories++;
                break;
            case FileType.Symlink:
                Symlinks++;
                break;
            default:
                Other++;
                break;
        }
    }

    /// <summary>Adds what <paramref name="all"/> counts beyond <paramref name="part"/>, a part of it.</summary>
    internal void AddRemainder(EntryTally all, EntryTally part)
    {
        Files += all.Files - part.Files;
        Directories += all.Directories - part.Directories;
        Symlinks += all.Symlinks - part.Symlinks;
        Other += all.Other - part.Other;
        Bytes += all.Bytes - part.Bytes;
    }
}
