using System.Collections.Concurrent;
using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>
/// The folder a restore writes into, and the only code that writes there. It holds a descriptor of the root and reaches
/// every directory below it through <see cref="DirectoryCache"/> (<c>openat(parent, name, O_NOFOLLOW|O_DIRECTORY)</c>
/// per level, never a path), creates files with <c>openat(O_CREAT|O_EXCL|O_NOFOLLOW)</c>, links with
/// <c>symlinkat</c>/<c>linkat</c> and sets metadata through descriptors, so that another user who renames or swaps a
/// directory for a symlink meanwhile leads the restore nowhere outside the target. It remembers what it created, and
/// <see cref="Abandon"/> removes only that. Names that are not UTF-8 (escaped as <see cref="EntryName.Decode"/> makes
/// them) are written with their exact bytes. Thread-safe; dispose it to close its descriptors.
/// </summary>
public sealed partial class RestoreTarget : IDisposable
{
    private const uint NewRootMode = 0x1FF; // 0777 less the umask, as mkdir(1) makes it

    private readonly bool _overwrite;
    private readonly DirectoryCache _directories;
    private readonly ConcurrentDictionary<string, CreatedEntry> _created = new(StringComparer.Ordinal);

    // Whole entries in directories this restore created: known by inode only, so that a restore of many files does
    // not hold a path for each until it ends (Abandon finds them by listing those directories).
    private readonly FinishedEntries _finished = new();

    // Set when this restore created the root: its parent and name, to remove it on abandon.
    private readonly DirectoryHandle? _rootParent;
    private readonly string _rootName;
    private readonly FileStatus _rootStatus;

    private RestoreTarget(string root, bool overwrite, DirectoryHandle rootHandle, DirectoryHandle? rootParent, string rootName)
    {
        Root = root;
        _overwrite = overwrite;
        _rootParent = rootParent;
        _rootName = rootName;
        _rootStatus = rootHandle.Stat(root);
        _directories = new DirectoryCache(rootHandle, root, (relative, status) => Record(relative, status, replaced: false));
    }

    /// <summary>The absolute path of the target.</summary>
    public string Root { get; }

    /// <summary>
    /// Checks the target and creates it if absent (its missing parents too), then holds it open: from here on, renaming
    /// or replacing the target's path does not change where the restore writes. A target given as a symlink to a
    /// directory is followed (the user named it). Throws <see cref="IOException"/> when it is not a directory, or is not
    /// empty and <paramref name="overwrite"/> is false.
    /// </summary>
    public static RestoreTarget Prepare(string target, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(target);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var parentPath = Path.GetDirectoryName(root);
        var name = Path.GetFileName(root);
        if (parentPath is null || name.Length == 0)
        {
            return Checked(new RestoreTarget(root, overwrite, DirectoryHandle.Open(root), null, ""), overwrite);
        }
        Directory.CreateDirectory(parentPath);
        var parent = DirectoryHandle.Open(parentPath);
        try
        {
            var status = parent.TryStat(name, root);
            if (status is null && parent.TryCreateDirectory(name, NewRootMode, root))
            {
                var created = parent.OpenDirectory(name, root) ?? throw new IOException($"restore target was removed as it was created: {root}");
                return new RestoreTarget(root, overwrite, created, parent, name);
            }
            var handle = status switch
            {
                { Type: FileType.Symlink } => OpenLinkedRoot(root),
                { Type: FileType.Directory } or null => parent.OpenDirectory(name, root) ?? throw new IOException($"restore target vanished: {root}"),
                _ => throw new IOException($"restore target is a file, not a directory: {root}"),
            };
            parent.Dispose();
            return Checked(new RestoreTarget(root, overwrite, handle, null, name), overwrite);
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }

    /// <summary>The absolute path of <paramref name="relative"/> (a checked, normalised path), for messages.</summary>
    public string FullPath(string relative) => Path.Join(Root, relative);

    /// <summary>Creates <paramref name="relative"/> and its parents as real directories, refusing to pass through anything else.</summary>
    public void EnsureDirectory(string relative)
    {
        using var _ = _directories.Rent(relative, create: true);
    }

    /// <summary>
    /// Creates the file <paramref name="relative"/> (its parents are ensured) and returns a handle for writing. An
    /// existing file or symlink of that name is replaced only with overwrite; a directory never is.
    /// </summary>
    public SafeFileHandle CreateFile(string relative)
    {
        var (parent, leaf) = Split(relative);
        using var lease = _directories.Rent(parent, create: true);
        var full = FullPath(relative);
        var replaced = ClearLeaf(lease.Handle, leaf, full);
        var file = lease.Handle.CreateFile(leaf, full);
        try
        {
            Record(relative, PosixFile.Fstat(file, full), replaced);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>
    /// Opens again for writing the file <paramref name="relative"/> that <see cref="CreateFile"/> created and its caller
    /// closed, through its parent's descriptor and without following a symlink. Throws <see cref="IOException"/> when
    /// what has that name now is not that very file (another user replaced it meanwhile).
    /// </summary>
    public SafeFileHandle ReopenFile(string relative)
    {
        var (parent, leaf) = Split(relative);
        var full = FullPath(relative);
        if (!_created.TryGetValue(relative, out var created))
        {
            throw new InvalidOperationException($"{full} was not created by this restore");
        }
        using var lease = _directories.Rent(parent, create: false);
        var file = lease.Handle.OpenFileForWriting(leaf, full);
        try
        {
            if (!created.Is(PosixFile.Fstat(file, full)))
            {
                throw new IOException($"cannot restore {full}: the file this restore created was replaced while it was written");
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>Marks <paramref name="relative"/> as whole: <see cref="Abandon"/> keeps it when it replaced an existing file.</summary>
    public void Finish(string relative)
    {
        if (!_created.TryGetValue(relative, out var entry))
        {
            return;
        }
        entry.Finish();
        if (entry.Type != FileType.Directory && !entry.Replaced && InCreatedDirectory(relative))
        {
            _finished.Add(entry);
            _created.TryRemove(relative, out _);
        }
    }

    /// <summary>True when the parent of <paramref name="relative"/> is a directory this restore created (the target itself when it made it).</summary>
    private bool InCreatedDirectory(string relative)
    {
        var (parent, _) = Split(relative);
        return parent.Length == 0
            ? _rootParent is not null
            : _created.TryGetValue(parent, out var made) && made.Type == FileType.Directory && !made.Replaced;
    }

    /// <summary>Removes the file <paramref name="relative"/> that this restore created (its content could not be read).</summary>
    public void Discard(string relative)
    {
        if (_created.TryRemove(relative, out var entry) && !TryRemove(relative, entry))
        {
            Warn($"could not remove the incomplete {EntryName.Escape(FullPath(relative))}");
        }
    }

    /// <summary>Sets the permissions and modification time of a file through its open handle (no path lookup, no race).</summary>
    public static void SetMetadata(SafeFileHandle file, string fullPath, uint permissions, long mtimeNs)
    {
        File.SetUnixFileMode(file, (UnixFileMode)permissions);
        PosixFile.SetModificationTime(file, mtimeNs, fullPath);
    }

    /// <summary>Closes the target's descriptors.</summary>
    public void Dispose()
    {
        _directories.Dispose();
        _rootParent?.Dispose();
    }

    private static DirectoryHandle OpenLinkedRoot(string root)
    {
        try
        {
            return DirectoryHandle.Open(root);
        }
        catch (Exception e) when (e is FileNotFoundException or IOException { HResult: Libc.ENOTDIR })
        {
            throw new IOException($"restore target is a symlink that does not lead to a directory: {root}", e);
        }
    }

    private static RestoreTarget Checked(RestoreTarget target, bool overwrite)
    {
        using var root = target._directories.Rent("", create: false);
        if (!overwrite && !root.Handle.IsEmpty(target.Root))
        {
            target.Dispose();
            throw new IOException($"restore target is not empty: {target.Root} (use --overwrite to restore into it)");
        }
        return target;
    }

    private static (string Parent, string Leaf) Split(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        var cut = relative.LastIndexOf('/');
        return cut < 0 ? ("", relative) : (relative[..cut], relative[(cut + 1)..]);
    }

    /// <summary>With overwrite, unlinks a file or symlink named <paramref name="leaf"/> (true when there was one); a directory in the way is an error.</summary>
    private bool ClearLeaf(DirectoryHandle parent, string leaf, string full)
    {
        if (!_overwrite)
        {
            return false; // O_EXCL (or symlinkat, linkat) refuses anything already there, a symlink included
        }
        var status = parent.TryStat(leaf, full);
        if (status is null)
        {
            return false;
        }
        if (status.Value.Type == FileType.Directory)
        {
            throw new IOException($"cannot restore {full}: a directory is in the way");
        }
        parent.Delete(leaf, full); // unlinks a symlink itself, never its target
        return true;
    }

    private void Record(string relative, FileStatus status, bool replaced) =>
        _created[relative] = new CreatedEntry(status.Device, status.Inode, status.Type, replaced);
}
