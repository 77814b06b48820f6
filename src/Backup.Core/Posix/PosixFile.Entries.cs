using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>Making, linking and removing entries by raw path (names that are not UTF-8 included).</summary>
public static unsafe partial class PosixFile
{
    /// <summary><c>mkdir</c> with <paramref name="mode"/> (less the umask). Throws when anything has that name already.</summary>
    public static void CreateDirectory(string path, uint mode)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            if (Libc.MkDir(p, mode) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary><c>unlink</c>: removes a file or a symlink itself (never its target).</summary>
    public static void Delete(string path)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            if (Libc.Unlink(p) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary><c>rmdir</c>: removes an empty directory.</summary>
    public static void DeleteDirectory(string path)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            if (Libc.RmDir(p) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>
    /// <c>chmod</c> of <paramref name="path"/> to <paramref name="permissions"/> (07777). Like <c>chmod</c>, it acts on
    /// what a final symlink points to: call it only for an entry known to be a file or a directory.
    /// </summary>
    public static void SetPermissions(string path, uint permissions)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            if (Libc.FChmodAt(Libc.AtFdCwd, p, permissions, 0) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="newPath"/> a hard link to <paramref name="existingPath"/> (<c>linkat</c> without
    /// <c>AT_SYMLINK_FOLLOW</c>: a symlink at <paramref name="existingPath"/> is linked itself, never followed). Fails
    /// when anything has the new name, a symlink included.
    /// </summary>
    public static void CreateHardLink(string existingPath, string newPath)
    {
        var from = ToCString(existingPath);
        var to = ToCString(newPath);
        fixed (byte* f = from)
        fixed (byte* t = to)
        {
            if (Libc.LinkAt(Libc.AtFdCwd, f, Libc.AtFdCwd, t, 0) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), newPath);
            }
        }
    }

    /// <summary>
    /// Removes <paramref name="path"/> and everything below it without following symlinks, reading names as raw bytes
    /// (so entries that .NET cannot name are removed too). Directories are made writable (0700) before they are emptied.
    /// Nothing there is not an error. With <paramref name="keepRoot"/>, <paramref name="path"/> must be a directory
    /// (not a symlink): it is emptied, and neither removed nor changed. It works by path: never use it on a folder that
    /// another user can write while it runs (a directory swapped for a symlink would be followed); a restore cleans up
    /// through <see cref="DirectoryHandle"/> instead.
    /// </summary>
    public static void DeleteTree(string path, bool keepRoot = false)
    {
        if (keepRoot)
        {
            Empty(path);
            return;
        }
        var status = TryLstat(path);
        if (status is null)
        {
            return;
        }
        if (status.Value.Type != FileType.Directory)
        {
            Delete(path);
            return;
        }
        SetPermissions(path, Convert.ToUInt32("700", 8));
        Empty(path);
        DeleteDirectory(path);
    }

    private static void Empty(string directory)
    {
        foreach (var entry in DirectoryReader.Read(directory))
        {
            DeleteTree(Path.Join(directory, EntryName.Decode(entry.Name)));
        }
    }
}
