using System.Text;
using Backup.Core.Posix;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// Which directories of a watched tree hold each file's inode. inotify reports a new or removed hard link only in the
/// directory of that name, yet the other names' nodes change too (their link count and ctime): this map finds those
/// directories, which are then listed as well. Keys fold device and inode into 64 bits; two inodes that fold alike
/// share their directories, which can only list a directory more, never one less. Entries are only added (a stale one
/// costs a listing at most) until a full walk starts a new map. About 28 bytes per file, plus each directory's path
/// once. Not thread-safe.
/// </summary>
internal sealed class InodeDirectories
{
    private readonly Dictionary<ulong, int> _single = [];
    private readonly Dictionary<ulong, HashSet<int>> _many = [];
    private readonly Dictionary<string, int> _directoryIds = new(StringComparer.Ordinal);
    private readonly List<byte[]> _directories = [];

    /// <summary>Files recorded.</summary>
    public int Count => _single.Count + _many.Count;

    /// <summary>Records that the directory <paramref name="directory"/> holds a name of the file <paramref name="status"/> describes.</summary>
    public void Add(FileStatus status, byte[] directory)
    {
        var key = KeyOf(status);
        var id = IdOf(directory);
        if (_many.TryGetValue(key, out var set))
        {
            set.Add(id);
        }
        else if (!_single.TryGetValue(key, out var other))
        {
            _single[key] = id;
        }
        else if (other != id)
        {
            _single.Remove(key);
            _many[key] = [other, id];
        }
    }

    /// <summary>Every directory recorded for the inode of <paramref name="status"/>.</summary>
    public IEnumerable<byte[]> DirectoriesOf(FileStatus status)
    {
        var key = KeyOf(status);
        if (_single.TryGetValue(key, out var id))
        {
            return [_directories[id]];
        }
        return _many.TryGetValue(key, out var set) ? set.Select(i => _directories[i]).ToList() : [];
    }

    private int IdOf(byte[] directory)
    {
        var name = Encoding.Latin1.GetString(directory);
        if (!_directoryIds.TryGetValue(name, out var id))
        {
            id = _directories.Count;
            _directories.Add(directory);
            _directoryIds[name] = id;
        }
        return id;
    }

    private static ulong KeyOf(FileStatus status) => status.Inode ^ (status.Device * 0x9E3779B97F4A7C15UL);
}
