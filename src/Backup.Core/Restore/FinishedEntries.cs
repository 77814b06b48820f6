using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// The files, symlinks and hard links a restore finished inside directories it created, known by device and inode
/// only (about 20 bytes each, where a path and a <see cref="CreatedEntry"/> take ten times that): what
/// <see cref="RestoreTarget.Abandon"/> removes from those directories, listing them, when a restore fails after them.
/// Thread-safe.
/// </summary>
internal sealed class FinishedEntries
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, HashSet<ulong>> _inodesByDevice = [];

    /// <summary>Remembers the entry <paramref name="entry"/>, which is not a directory.</summary>
    public void Add(CreatedEntry entry)
    {
        lock (_lock)
        {
            if (!_inodesByDevice.TryGetValue(entry.Device, out var inodes))
            {
                _inodesByDevice.Add(entry.Device, inodes = []);
            }
            inodes.Add(entry.Inode);
        }
    }

    /// <summary>True when <paramref name="status"/> (of a name in a created directory) is an entry this restore finished.</summary>
    public bool Contains(FileStatus status)
    {
        lock (_lock)
        {
            return status.Type != FileType.Directory && _inodesByDevice.TryGetValue(status.Device, out var inodes) && inodes.Contains(status.Inode);
        }
    }

    /// <summary>True when nothing was remembered.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _inodesByDevice.Count == 0;
            }
        }
    }
}
