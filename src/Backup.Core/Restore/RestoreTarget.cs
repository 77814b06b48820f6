using System.Collections.Concurrent;
using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>
/// The folder a restore writes into, and the only code that writes there. Every directory component below the root is
/// checked with lstat (never created or entered through a symlink), files are created with
/// <c>O_CREAT|O_EXCL|O_NOFOLLOW</c>, hard links only to files this restore wrote, and on failure what the restore
/// created is removed. Paths below the root go through <see cref="PosixFile"/> only, so names that are not UTF-8
/// (escaped as <see cref="EntryName.Decode"/> makes them) are written with their exact bytes. Thread-safe for
/// <see cref="CreateFile"/>, <see cref="SetXattrs(SafeFileHandle, RestoreEntry)"/> and <see cref="Warnings"/> once the
/// directories exist.
/// </summary>
public sealed partial class RestoreTarget
{
    private const uint WorkingDirectoryMode = 0x1C0; // 0700

    private readonly bool _overwrite;
    private readonly bool _createdRoot;
    private readonly ConcurrentDictionary<string, bool> _checkedDirectories = new(StringComparer.Ordinal);

    private RestoreTarget(string root, bool overwrite, bool createdRoot)
    {
        Root = root;
        _overwrite = overwrite;
        _createdRoot = createdRoot;
        _checkedDirectories[""] = true;
    }

    /// <summary>The absolute path of the target.</summary>
    public string Root { get; }

    /// <summary>
    /// Checks the target and creates it if absent. Throws <see cref="IOException"/> when it is not a directory, or is not
    /// empty and <paramref name="overwrite"/> is false.
    /// </summary>
    public static RestoreTarget Prepare(string target, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(target);
        var root = Path.GetFullPath(target);
        var status = PosixFile.TryLstat(root);
        if (status is { Type: FileType.Symlink } && !Directory.Exists(root))
        {
            throw new IOException($"restore target is a symlink that does not lead to a directory: {root}");
        }
        if (File.Exists(root))
        {
            throw new IOException($"restore target is a file, not a directory: {root}");
        }
        if (Directory.Exists(root))
        {
            if (!overwrite && Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new IOException($"restore target is not empty: {root} (use --overwrite to restore into it)");
            }
            return new RestoreTarget(root, overwrite, createdRoot: false);
        }
        Directory.CreateDirectory(root);
        return new RestoreTarget(root, overwrite, createdRoot: true);
    }

    /// <summary>The absolute path of <paramref name="relative"/> (a checked, normalised path).</summary>
    public string FullPath(string relative) => Path.Join(Root, relative);

    /// <summary>Creates <paramref name="relative"/> and its parents as real directories, refusing to pass through anything else.</summary>
    public void EnsureDirectory(string relative)
    {
        if (_checkedDirectories.ContainsKey(relative))
        {
            return;
        }
        var cut = relative.LastIndexOf('/');
        if (cut > 0)
        {
            EnsureDirectory(relative[..cut]);
        }
        var full = FullPath(relative);
        var status = PosixFile.TryLstat(full);
        if (status is null)
        {
            CreateDirectory(full);
        }
        else if (status.Value.Type != FileType.Directory)
        {
            var what = status.Value.Type == FileType.Symlink ? "a symlink" : "not a directory";
            throw new IOException($"cannot restore into {full}: it exists and is {what}");
        }
        _checkedDirectories[relative] = true;
    }

    /// <summary>
    /// Creates the file <paramref name="relative"/> (its parent must have been ensured) and returns a handle for writing.
    /// An existing file or symlink of that name is replaced only with overwrite; a directory never is.
    /// </summary>
    public SafeFileHandle CreateFile(string relative)
    {
        // Without overwrite, O_EXCL alone refuses anything already there (a symlink included): no lstat needed.
        var full = _overwrite ? PrepareLeaf(relative) : FullPath(relative);
        return PosixFile.CreateExclusive(full);
    }

    /// <summary>Sets the permissions and modification time of a file through its open handle (no path lookup, no race).</summary>
    public static void SetMetadata(SafeFileHandle file, string fullPath, uint permissions, long mtimeNs)
    {
        File.SetUnixFileMode(file, (UnixFileMode)permissions);
        PosixFile.SetModificationTime(file, mtimeNs, fullPath);
    }

    /// <summary>Creates the symlink <paramref name="relative"/> pointing at the raw <paramref name="linkTarget"/>.</summary>
    public void CreateSymlink(string relative, ReadOnlySpan<byte> linkTarget)
    {
        var full = PrepareLeaf(relative);
        PosixFile.CreateSymlink(full, linkTarget);
    }

    /// <summary>Sets permissions (not for symlinks, which have none on Linux) and the modification time of an entry.</summary>
    public static void SetMetadata(string fullPath, FileType type, uint permissions, long mtimeNs)
    {
        if (type != FileType.Symlink)
        {
            PosixFile.SetPermissions(fullPath, permissions);
        }
        PosixFile.SetModificationTime(fullPath, mtimeNs);
    }

    /// <summary>Removes what this restore created after a failure: the whole target if it created it, else its new content.</summary>
    public void Abandon()
    {
        if (_overwrite && !_createdRoot)
        {
            return; // files that were there before may have been replaced already; deleting more would lose data
        }
        try
        {
            // By raw names (what .NET cannot name it cannot delete), making directories writable first: a failure may
            // come after some got their final, read-only mode.
            if (_createdRoot)
            {
                PosixFile.DeleteTree(Root);
                return;
            }
            PosixFile.DeleteTree(PosixFile.RealPath(Root) ?? Root, keepRoot: true); // the root may be the user's symlink to a directory
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the caller reports the original failure, which matters more.
        }
    }

    private string PrepareLeaf(string relative)
    {
        var full = FullPath(relative);
        var status = PosixFile.TryLstat(full);
        if (status is null)
        {
            return full;
        }
        if (status.Value.Type == FileType.Directory)
        {
            throw new IOException($"cannot restore {full}: a directory is in the way");
        }
        if (!_overwrite)
        {
            throw new IOException($"cannot restore {full}: it already exists");
        }
        PosixFile.Delete(full); // unlinks a symlink itself, never its target
        return full;
    }

    private static void CreateDirectory(string full)
    {
        try
        {
            PosixFile.CreateDirectory(full, WorkingDirectoryMode);
        }
        catch (IOException) when (PosixFile.TryLstat(full) is { Type: FileType.Directory })
        {
            // Made meanwhile by someone else: it is a real directory, which is all that is asked.
        }
    }
}
