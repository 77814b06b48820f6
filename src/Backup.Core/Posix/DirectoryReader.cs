using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>
/// Lists one directory through <c>readdir</c>, giving each name as the raw bytes the kernel stores and its status from
/// <c>fstatat(AT_SYMLINK_NOFOLLOW)</c> relative to the open directory. .NET's own enumeration decodes names with
/// replacement characters, which would make a name that is not valid UTF-8 point at the wrong file or at none.
/// </summary>
public static unsafe class DirectoryReader
{
    /// <summary>One entry of a directory: raw name bytes, status and, for a symlink, the raw target.</summary>
    public sealed record Entry(byte[] Name, FileStatus Status, byte[]? LinkTarget);

    /// <summary>
    /// Reads every entry of <paramref name="directory"/> except <c>.</c> and <c>..</c>, sorted by name bytes.
    /// An entry that disappears between <c>readdir</c> and <c>stat</c> is left out. Throws when the directory itself
    /// cannot be opened or read.
    /// </summary>
    public static List<Entry> Read(string directory)
    {
        var path = PosixFile.ToCString(directory);
        int fd;
        fixed (byte* p = path)
        {
            fd = Libc.Open(p, Libc.ORdOnly | Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec, 0);
        }
        if (fd < 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), directory);
        }
        var dir = Libc.FdOpenDir(fd);
        if (dir == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Libc.Close(fd);
            throw PosixFile.ErrorFor(errno, directory);
        }
        try
        {
            return ReadAll(dir, fd, directory);
        }
        finally
        {
            _ = Libc.CloseDir(dir);
        }
    }

    /// <summary>
    /// Reads every entry of the open directory <paramref name="fd"/> as <see cref="Read(string)"/> does, statting each
    /// relative to it; the descriptor stays open (the listing goes through a duplicate, which <c>closedir</c> closes).
    /// <paramref name="directory"/> only names the directory in errors.
    /// </summary>
    public static List<Entry> Read(int fd, string directory)
    {
        var copy = Libc.Fcntl(fd, Libc.FDupFdCloExec, 0);
        if (copy < 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), directory);
        }
        var dir = Libc.FdOpenDir(copy);
        if (dir == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Libc.Close(copy);
            throw PosixFile.ErrorFor(errno, directory);
        }
        try
        {
            return ReadAll(dir, fd, directory);
        }
        finally
        {
            _ = Libc.CloseDir(dir);
        }
    }

    private static List<Entry> ReadAll(nint dir, int fd, string directory)
    {
        var entries = new List<Entry>();
        while (true)
        {
            Marshal.SetLastPInvokeError(0);
            var ent = Libc.ReadDir(dir);
            if (ent == null)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != 0)
                {
                    throw PosixFile.ErrorFor(errno, directory);
                }
                break;
            }
            var name = new ReadOnlySpan<byte>(ent->Name, 256);
            name = name[..name.IndexOf((byte)0)];
            if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
            {
                continue;
            }
            var entry = Examine(fd, name, directory);
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }
        entries.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        return entries;
    }

    private static Entry? Examine(int fd, ReadOnlySpan<byte> name, string directory)
    {
        var cName = new byte[name.Length + 1];
        name.CopyTo(cName);
        fixed (byte* n = cName)
        {
            Libc.StatxBuffer buffer;
            if (Libc.Statx(fd, n, Libc.AtSymlinkNoFollow, Libc.StatxBasicStats, &buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENOENT)
                {
                    return null; // deleted after readdir saw it: it is simply not part of this tree any more
                }
                throw PosixFile.ErrorFor(errno, Path.Join(directory, EntryName.Escape(name)));
            }
            var status = PosixFile.ToStatus(buffer);
            var target = status.Type == FileType.Symlink
                ? PosixFile.ReadLinkAt(fd, n, Path.Join(directory, EntryName.Escape(name)))
                : null;
            return new Entry(name.ToArray(), status, target);
        }
    }
}
