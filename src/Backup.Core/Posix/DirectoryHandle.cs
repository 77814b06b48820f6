using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Posix;

/// <summary>
/// An open directory (<c>O_RDONLY|O_DIRECTORY</c>) and the <c>*at</c> calls relative to it. Every name given is one
/// component (raw bytes escaped as <see cref="EntryName.Decode"/> makes them), and no call follows a symlink at it:
/// whatever another user renames or swaps meanwhile, a call acts inside this very directory, or fails. Errors become
/// exceptions whose message names <c>pathForErrors</c>, as <see cref="PosixFile"/> does. The handle may be shared between
/// threads; the caller keeps it open (for example with <see cref="SafeHandle.DangerousAddRef"/>) while a call runs.
/// </summary>
public sealed unsafe class DirectoryHandle : SafeHandle
{
    private const int DirectoryFlags = Libc.ORdOnly | Libc.ODirectory | Libc.OCloExec;

    private DirectoryHandle(int fd)
        : base(-1, ownsHandle: true) => SetHandle(fd);

    /// <inheritdoc/>
    public override bool IsInvalid => handle == -1;

    private int Fd => (int)handle;

    /// <summary>
    /// Opens the directory <paramref name="path"/>, following symlinks on the way (the user named it). Throws when it is
    /// absent or not a directory.
    /// </summary>
    public static DirectoryHandle Open(string path)
    {
        var bytes = PosixFile.ToCString(path);
        fixed (byte* p = bytes)
        {
            return Wrap(Libc.Open(p, DirectoryFlags, 0), path);
        }
    }

    /// <summary>
    /// Opens the subdirectory <paramref name="name"/> with <c>O_NOFOLLOW</c>; null when nothing has that name. Throws
    /// <see cref="IOException"/> when it is a symlink or not a directory.
    /// </summary>
    public DirectoryHandle? OpenDirectory(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        int fd;
        fixed (byte* p = n)
        {
            fd = Libc.OpenAt(Fd, p, DirectoryFlags | Libc.ONoFollow, 0);
        }
        if (fd >= 0)
        {
            return new DirectoryHandle(fd);
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ENOENT)
        {
            return null;
        }
        if (errno is Libc.ELOOP or Libc.ENOTDIR)
        {
            // O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink too: say which it is.
            var what = TryStat(name, pathForErrors) is { Type: FileType.Symlink } ? "a symlink" : "not a directory";
            throw new IOException($"cannot restore into {pathForErrors}: it exists and is {what}", errno);
        }
        throw PosixFile.ErrorFor(errno, pathForErrors);
    }

    /// <summary><c>mkdirat</c> with <paramref name="mode"/> (less the umask). False when something has that name already.</summary>
    public bool TryCreateDirectory(string name, uint mode, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        fixed (byte* p = n)
        {
            if (Libc.MkDirAt(Fd, p, mode) == 0)
            {
                return true;
            }
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == Libc.EEXIST ? false : throw PosixFile.ErrorFor(errno, pathForErrors);
    }

    /// <summary>
    /// Creates the file <paramref name="name"/> for writing with <c>O_CREAT|O_EXCL|O_NOFOLLOW</c>, mode 0600: fails if
    /// anything, a symlink included, has that name. The caller owns the handle.
    /// </summary>
    public SafeFileHandle CreateFile(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        int fd;
        fixed (byte* p = n)
        {
            fd = Libc.OpenAt(Fd, p, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec, 0x180);
        }
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
    }

    /// <summary>
    /// Opens the existing file <paramref name="name"/> for writing with <c>O_WRONLY|O_NOFOLLOW|O_NONBLOCK</c>: a symlink
    /// of that name fails (ELOOP) and a FIFO does not block; the caller checks that it is the file it expects. The caller
    /// owns the handle.
    /// </summary>
    public SafeFileHandle OpenFileForWriting(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        int fd;
        fixed (byte* p = n)
        {
            fd = Libc.OpenAt(Fd, p, Libc.OWrOnly | Libc.ONoFollow | Libc.ONonBlock | Libc.OCloExec, 0);
        }
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
    }

    /// <summary>
    /// Opens the entry <paramref name="name"/> itself with <c>O_PATH|O_NOFOLLOW</c> (a symlink is opened, not followed),
    /// for <see cref="PosixFile.SetOwnerOfEntry"/>, <see cref="PosixFile.SetModificationTimeOfEntry"/> and
    /// <see cref="PosixFile.TrySetXattrOfEntry"/>. The caller owns the handle.
    /// </summary>
    public SafeFileHandle OpenEntry(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        int fd;
        fixed (byte* p = n)
        {
            fd = Libc.OpenAt(Fd, p, Libc.OPath | Libc.ONoFollow | Libc.OCloExec, 0);
        }
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
    }

    /// <summary>The status of <paramref name="name"/> itself (<c>AT_SYMLINK_NOFOLLOW</c>), or null when nothing has that name.</summary>
    public FileStatus? TryStat(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        Libc.StatxBuffer buffer;
        fixed (byte* p = n)
        {
            if (Libc.Statx(Fd, p, Libc.AtSymlinkNoFollow, Libc.StatxBasicStats, &buffer) == 0)
            {
                return PosixFile.ToStatus(buffer);
            }
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == Libc.ENOENT ? null : throw PosixFile.ErrorFor(errno, pathForErrors);
    }

    /// <summary>The status of this directory itself.</summary>
    public FileStatus Stat(string pathForErrors)
    {
        var empty = stackalloc byte[1];
        empty[0] = 0;
        return PosixFile.StatAt(Fd, empty, Libc.AtEmptyPath, pathForErrors);
    }

    /// <summary><c>symlinkat</c>: creates the symlink <paramref name="name"/> whose target is the raw bytes <paramref name="target"/>.</summary>
    public void CreateSymlink(string name, ReadOnlySpan<byte> target, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        var t = new byte[target.Length + 1];
        target.CopyTo(t);
        fixed (byte* p = n)
        fixed (byte* tp = t)
        {
            if (Libc.SymlinkAt(tp, Fd, p) != 0)
            {
                throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
            }
        }
    }

    /// <summary>
    /// <c>linkat(from, fromName, this, name, 0)</c>: makes <paramref name="name"/> a hard link to the entry
    /// <paramref name="fromName"/> of <paramref name="from"/>, which is linked itself, never followed.
    /// </summary>
    public void CreateHardLink(DirectoryHandle from, string fromName, string name, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(from);
        var f = PosixFile.ToCString(fromName);
        var n = PosixFile.ToCString(name);
        fixed (byte* fp = f)
        fixed (byte* p = n)
        {
            if (Libc.LinkAt(from.Fd, fp, Fd, p, 0) != 0)
            {
                throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
            }
        }
    }

    /// <summary><c>unlinkat(name, 0)</c>: removes a file or a symlink itself (never its target).</summary>
    public void Delete(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        fixed (byte* p = n)
        {
            if (Libc.UnlinkAt(Fd, p, 0) != 0)
            {
                throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
            }
        }
    }

    /// <summary><c>unlinkat(name, AT_REMOVEDIR)</c>: removes an empty directory. False when it is not empty.</summary>
    public bool TryDeleteDirectory(string name, string pathForErrors)
    {
        var n = PosixFile.ToCString(name);
        fixed (byte* p = n)
        {
            if (Libc.UnlinkAt(Fd, p, Libc.AtRemoveDir) == 0)
            {
                return true;
            }
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is Libc.ENOTEMPTY or Libc.EEXIST ? false : throw PosixFile.ErrorFor(errno, pathForErrors);
    }

    /// <summary>
    /// The entries of this directory but <c>.</c> and <c>..</c>, sorted by name bytes, each with its <c>lstat</c> taken
    /// relative to this directory (see <see cref="DirectoryReader.Read(int, string)"/>).
    /// </summary>
    public List<DirectoryReader.Entry> List(string pathForErrors) => DirectoryReader.Read(Fd, pathForErrors);

    /// <summary><c>fsync</c> of this directory: the names created or removed in it survive a crash.</summary>
    public void Flush(string pathForErrors)
    {
        if (Libc.FSync(Fd) != 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>True when this directory has no entry but <c>.</c> and <c>..</c>.</summary>
    public bool IsEmpty(string pathForErrors)
    {
        int fd;
        fixed (byte* dot = "."u8)
        {
            fd = Libc.OpenAt(Fd, dot, DirectoryFlags, 0); // a descriptor of its own: closedir closes it
        }
        var dir = fd < 0 ? 0 : Libc.FdOpenDir(fd);
        if (dir == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (fd >= 0)
            {
                _ = Libc.Close(fd);
            }
            throw PosixFile.ErrorFor(errno, pathForErrors);
        }
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = Libc.ReadDir(dir);
                if (entry == null)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    return errno == 0 ? true : throw PosixFile.ErrorFor(errno, pathForErrors);
                }
                var name = new ReadOnlySpan<byte>(entry->Name, 256);
                name = name[..name.IndexOf((byte)0)];
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
                {
                    return false;
                }
            }
        }
        finally
        {
            _ = Libc.CloseDir(dir);
        }
    }

    /// <summary><c>fchmod</c> of this directory to <paramref name="permissions"/> (07777).</summary>
    public void SetPermissions(uint permissions, string pathForErrors) =>
        Check(Libc.FChmod(Fd, permissions), pathForErrors);

    /// <summary><c>fchown</c> of this directory.</summary>
    public void SetOwner(uint uid, uint gid, string pathForErrors) =>
        Check(Libc.FChown(Fd, uid, gid), pathForErrors);

    /// <summary><c>futimens</c>: the modification (and access) time of this directory, in nanoseconds since the epoch.</summary>
    public void SetModificationTime(long mtimeNs, string pathForErrors)
    {
        var times = stackalloc Libc.Timespec[2];
        times[0] = PosixFile.ToTimespec(mtimeNs);
        times[1] = times[0];
        Check(Libc.FUtimens(Fd, times), pathForErrors);
    }

    /// <summary><c>fsetxattr</c> on this directory. Returns 0, or the errno of a failure.</summary>
    public int TrySetXattr(Xattr attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        var name = new byte[attribute.Name.Length + 1];
        attribute.Name.CopyTo(name, 0);
        fixed (byte* n = name)
        fixed (byte* v = attribute.Value)
        {
            return Libc.FSetXattr(Fd, n, v, attribute.Value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Libc.Close(Fd) == 0;

    private static DirectoryHandle Wrap(int fd, string pathForErrors) =>
        fd >= 0 ? new DirectoryHandle(fd) : throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);

    private static void Check(int result, string pathForErrors)
    {
        if (result != 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }
}
