using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// Descriptors of the target's directories, reached from the held root one level at a time with
/// <c>openat(parent, name, O_NOFOLLOW|O_DIRECTORY)</c>, never by path. At most <see cref="DefaultCapacity"/> stay open
/// (least recently used closed first), so a tree of any size cannot exhaust <c>RLIMIT_NOFILE</c>. A directory is
/// remembered by device and inode when first opened; reopened later (after eviction) by its name, it must be the same
/// one, else it was replaced during the restore and is refused. Thread-safe.
/// </summary>
internal sealed class DirectoryCache : IDisposable
{
    /// <summary>Open directories kept: deep enough for any path being written, far below the usual soft limit of 1024 descriptors.</summary>
    public const int DefaultCapacity = 128;

    private const uint WorkingDirectoryMode = 0x1C0; // 0700: nobody else enters while the restore works

    private readonly Lock _lock = new();
    private readonly DirectoryHandle _root;
    private readonly string _rootPath;
    private readonly int _capacity;
    private readonly Action<string, FileStatus> _created;
    private readonly Dictionary<string, LinkedListNode<(string Path, DirectoryHandle Handle)>> _open = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Path, DirectoryHandle Handle)> _recent = new();
    private readonly Dictionary<string, (ulong Device, ulong Inode)> _identities = new(StringComparer.Ordinal);

    /// <summary>Takes ownership of <paramref name="root"/>; <paramref name="created"/> hears of each directory made.</summary>
    public DirectoryCache(DirectoryHandle root, string rootPath, Action<string, FileStatus> created, int capacity = DefaultCapacity)
    {
        _root = root;
        _rootPath = rootPath;
        _created = created;
        _capacity = Math.Max(1, capacity);
    }

    /// <summary>
    /// The directory <paramref name="relative"/> ("" for the root), opened for the caller until the lease is disposed.
    /// With <paramref name="create"/>, missing levels are made (mode 0700). Throws <see cref="IOException"/> when a level
    /// is a symlink, not a directory, absent (without create) or not the directory it was.
    /// </summary>
    public DirectoryLease Rent(string relative, bool create)
    {
        lock (_lock)
        {
            return new DirectoryLease(Find(relative, create));
        }
    }

    /// <summary>How many directories below the root are open now (at most the capacity).</summary>
    public int OpenCount
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (_, handle) in _recent)
            {
                handle.Dispose();
            }
            _recent.Clear();
            _open.Clear();
            _root.Dispose();
        }
    }

    private DirectoryHandle Find(string relative, bool create)
    {
        if (relative.Length == 0)
        {
            return _root;
        }
        if (_open.TryGetValue(relative, out var node))
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value.Handle;
        }
        var cut = relative.LastIndexOf('/');
        var parent = Find(cut < 0 ? "" : relative[..cut], create);
        var full = Path.Join(_rootPath, relative);
        DirectoryHandle child;
        using (new DirectoryLease(parent)) // adding the child may evict the parent: keep it open until then
        {
            child = Open(parent, relative[(cut + 1)..], relative, full, create);
        }
        if (_open.Count >= _capacity && _recent.Last is { } oldest)
        {
            _recent.RemoveLast();
            _open.Remove(oldest.Value.Path);
            oldest.Value.Handle.Dispose(); // closed now, or when its last lease ends
        }
        _open[relative] = _recent.AddFirst((relative, child));
        return child;
    }

    private DirectoryHandle Open(DirectoryHandle parent, string name, string relative, string full, bool create)
    {
        var made = false;
        var child = parent.OpenDirectory(name, full);
        if (child is null)
        {
            if (!create)
            {
                throw new IOException($"cannot restore into {full}: it was removed during the restore");
            }
            made = parent.TryCreateDirectory(name, WorkingDirectoryMode, full);
            child = parent.OpenDirectory(name, full) ?? throw new IOException($"cannot restore into {full}: it was removed during the restore");
        }
        try
        {
            var status = child.Stat(full);
            if (_identities.TryGetValue(relative, out var known))
            {
                if (known != (status.Device, status.Inode))
                {
                    throw new IOException($"cannot restore into {full}: it was replaced by another directory during the restore");
                }
                return child;
            }
            _identities[relative] = (status.Device, status.Inode);
            if (made)
            {
                _created(relative, status);
            }
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }
}
