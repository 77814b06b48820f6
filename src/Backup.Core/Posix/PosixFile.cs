using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Posix;

/// <summary>
/// Safe wrappers over <see cref="Libc"/>: every call takes a path (raw bytes escaped as <see cref="EntryName.Decode"/>
/// makes them) or a handle, never follows a final symlink
/// unless it says so, and turns <c>errno</c> into an <see cref="IOException"/> (or <see cref="UnauthorizedAccessException"/>,
/// <see cref="FileNotFoundException"/>) whose message names the path. Thread-safe: no state.
/// </summary>
public static unsafe partial class PosixFile
{
    /// <summary>The process's effective user id (<c>geteuid</c>): whom the files it makes belong to.</summary>
    public static uint EffectiveUserId => Libc.GetEffectiveUserId();

    /// <summary><c>lstat</c> with nanosecond times. Throws when the entry cannot be examined.</summary>
    public static FileStatus Lstat(string path)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            return StatAt(Libc.AtFdCwd, p, Libc.AtSymlinkNoFollow, path);
        }
    }

    /// <summary><c>lstat</c> of <paramref name="path"/>, or null when nothing is there.</summary>
    public static FileStatus? TryLstat(string path)
    {
        var bytes = ToCString(path);
        Libc.StatxBuffer buffer;
        fixed (byte* p = bytes)
        {
            if (Libc.Statx(Libc.AtFdCwd, p, Libc.AtSymlinkNoFollow, Libc.StatxBasicStats, &buffer) == 0)
            {
                return ToStatus(buffer);
            }
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno is Libc.ENOENT or Libc.ENOTDIR)
        {
            return null;
        }
        throw ErrorFor(errno, path);
    }

    /// <summary><c>fstat</c> of an open handle.</summary>
    public static FileStatus Fstat(SafeFileHandle handle, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var empty = stackalloc byte[1];
        empty[0] = 0;
        return StatAt((int)handle.DangerousGetHandle(), empty, Libc.AtEmptyPath, pathForErrors);
    }

    /// <summary><c>fstatat(dirFd, name, AT_SYMLINK_NOFOLLOW)</c>: the status of one entry of an open directory.</summary>
    internal static FileStatus StatAt(int dirFd, byte* name, int flags, string pathForErrors)
    {
        Libc.StatxBuffer buffer;
        if (Libc.Statx(dirFd, name, flags, Libc.StatxBasicStats, &buffer) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
        return ToStatus(buffer);
    }

    /// <summary>
    /// Opens a regular file for reading without following a symlink in its last component (<c>O_NOFOLLOW</c>) and without
    /// blocking on a FIFO that took its place (<c>O_NONBLOCK</c>). The caller owns the handle.
    /// </summary>
    public static SafeFileHandle OpenForReading(string path)
    {
        var bytes = ToCString(path);
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.Open(p, Libc.ORdOnly | Libc.ONoFollow | Libc.ONonBlock | Libc.OCloExec, 0);
        }
        if (fd < 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), path);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Creates a new file for writing with <c>O_CREAT|O_EXCL|O_NOFOLLOW</c>, mode 0600: fails if anything, a symlink
    /// included, already has that name. The caller owns the handle.
    /// </summary>
    public static SafeFileHandle CreateExclusive(string path)
    {
        var bytes = ToCString(path);
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.Open(p, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec, Convert.ToUInt32("600", 8));
        }
        if (fd < 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), path);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Creates a symlink at <paramref name="path"/> whose target is the raw bytes <paramref name="target"/>.</summary>
    public static void CreateSymlink(string path, ReadOnlySpan<byte> target)
    {
        var link = ToCString(path);
        var t = new byte[target.Length + 1];
        target.CopyTo(t);
        fixed (byte* l = link)
        fixed (byte* p = t)
        {
            if (Libc.Symlink(p, l) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>Flushes an open file's data to disk (<c>fsync</c>). A failure is final: the data may be lost.</summary>
    public static void Flush(SafeFileHandle handle, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (Libc.FSync((int)handle.DangerousGetHandle()) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>Opens (creating if needed, mode 0600) a file for locking; the caller owns the handle.</summary>
    public static SafeFileHandle OpenForLocking(string path)
    {
        var bytes = ToCString(path);
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.Open(p, Libc.ORdWr | Libc.OCreat | Libc.ONoFollow | Libc.OCloExec, Convert.ToUInt32("600", 8));
        }
        if (fd < 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), path);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Tries <c>flock(LOCK_EX|LOCK_NB)</c>; false when another open file description holds the lock.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        while (true)
        {
            if (Libc.Flock((int)handle.DangerousGetHandle(), Libc.LockEx | Libc.LockNb) == 0)
            {
                return true;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EWOULDBLOCK)
            {
                return false;
            }
            if (errno != Libc.EINTR)
            {
                throw ErrorFor(errno, pathForErrors);
            }
        }
    }

    /// <summary>Truncates an open file to <paramref name="length"/> bytes.</summary>
    public static void Truncate(SafeFileHandle handle, long length, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (Libc.FTruncate((int)handle.DangerousGetHandle(), length) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>
    /// The canonical absolute path (<c>realpath</c>): every symlink, '.' and '..' resolved. Null when the path or one of
    /// its parents does not exist.
    /// </summary>
    public static string? RealPath(string path)
    {
        var bytes = ToCString(path);
        var resolved = new byte[4097];
        fixed (byte* p = bytes)
        fixed (byte* r = resolved)
        {
            if (Libc.RealPath(p, r) == null)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno is Libc.ENOENT or Libc.ENOTDIR ? null : throw ErrorFor(errno, path);
            }
        }
        return EntryName.Decode(resolved.AsSpan(0, Array.IndexOf(resolved, (byte)0)));
    }

    /// <summary>The target of a symlink, as the raw bytes the kernel stores.</summary>
    public static byte[] ReadLink(string path)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            return ReadLinkAt(Libc.AtFdCwd, p, path);
        }
    }

    internal static byte[] ReadLinkAt(int dirFd, byte* name, string pathForErrors)
    {
        var buffer = new byte[4096];
        fixed (byte* b = buffer)
        {
            var n = Libc.ReadLinkAt(dirFd, name, b, buffer.Length);
            if (n < 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
            }
            return buffer.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>Sets the owner and group of <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static void SetOwner(string path, uint uid, uint gid)
    {
        var bytes = ToCString(path);
        fixed (byte* p = bytes)
        {
            if (Libc.FChownAt(Libc.AtFdCwd, p, uid, gid, Libc.AtSymlinkNoFollow) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>Sets the owner and group of an open file.</summary>
    public static void SetOwner(SafeFileHandle handle, uint uid, uint gid, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (Libc.FChown((int)handle.DangerousGetHandle(), uid, gid) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>Sets the modification (and access) time of <paramref name="path"/> itself (a symlink is not followed), in nanoseconds since the epoch.</summary>
    public static void SetModificationTime(string path, long mtimeNs)
    {
        var bytes = ToCString(path);
        var times = stackalloc Libc.Timespec[2];
        times[0] = ToTimespec(mtimeNs);
        times[1] = times[0];
        fixed (byte* p = bytes)
        {
            if (Libc.UtimensAt(Libc.AtFdCwd, p, times, Libc.AtSymlinkNoFollow) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>Sets the modification (and access) time of an open file, in nanoseconds since the epoch.</summary>
    public static void SetModificationTime(SafeFileHandle handle, long mtimeNs, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var times = stackalloc Libc.Timespec[2];
        times[0] = ToTimespec(mtimeNs);
        times[1] = times[0];
        if (Libc.FUtimens((int)handle.DangerousGetHandle(), times) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>Flushes a directory's entries to disk, so that a rename into it survives a crash.</summary>
    public static void FlushDirectory(string directory)
    {
        var bytes = ToCString(directory);
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.Open(p, Libc.ORdOnly | Libc.ODirectory | Libc.OCloExec, 0);
        }
        if (fd < 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), directory);
        }
        try
        {
            if (Libc.FSync(fd) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), directory);
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>The exception for <paramref name="errno"/>, with the system's message and the path.</summary>
    public static Exception ErrorFor(int errno, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A path that carries raw bytes (EntryName.Decode) is shown with them escaped, as the walk shows names.
        var shown = path.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? EntryName.Escape(path) : path;
        var message = $"{Marshal.GetPInvokeErrorMessage(errno)}: {shown}";
        return errno switch
        {
            Libc.ENOENT => new FileNotFoundException(message, path),
            Libc.EACCES or 1 /* EPERM */ => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    internal static Libc.Timespec ToTimespec(long ns)
    {
        var sec = Math.DivRem(ns, 1_000_000_000L, out var nsec);
        if (nsec < 0)
        {
            sec -= 1;
            nsec += 1_000_000_000L;
        }
        return new Libc.Timespec { Sec = sec, Nsec = nsec };
    }

    /// <summary>The NUL-terminated bytes of <paramref name="path"/>: UTF-8, with escaped raw bytes given back (<see cref="EntryName.Encode"/>).</summary>
    internal static byte[] ToCString(string path)
    {
        var encoded = EntryName.Encode(path);
        var bytes = new byte[encoded.Length + 1];
        encoded.CopyTo(bytes, 0);
        return bytes;
    }

    internal static FileStatus ToStatus(in Libc.StatxBuffer b) => new(
        b.Mode,
        (long)b.Size,
        (b.MtimeSec * 1_000_000_000L) + b.MtimeNsec,
        (b.CtimeSec * 1_000_000_000L) + b.CtimeNsec,
        b.Ino,
        ((ulong)b.DevMajor << 32) | b.DevMinor,
        b.Uid,
        b.Gid)
    {
        Links = b.Nlink,
    };
}
