using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Posix;

/// <summary>
/// A directory the walk holds open, and everything done below it relative to that descriptor: its subdirectories and
/// files are opened with <c>openat(O_NOFOLLOW)</c>, then <c>fstat</c>-ed and checked to be the type, device and inode
/// that the listing saw. A directory that someone swaps for a symlink (or for another directory) after it was listed
/// thus never leads the walk or a read out of the tree, and a file replaced after it was listed is refused, never read.
/// The descriptor is reference-counted: the walk holds one reference while it is in the directory, and a consumer that
/// reads its files later (the repository reads a directory's files once its subtree is walked) takes its own with
/// <see cref="Retain"/>; the last <see cref="Dispose"/> closes it. Retain and Dispose are thread-safe; so are the reads.
/// </summary>
public sealed unsafe class WalkDirectory : IDisposable
{
    private const int FileFlags = Libc.ORdOnly | Libc.ONoFollow | Libc.ONonBlock | Libc.OCloExec;
    private const int DirectoryFlags = Libc.ORdOnly | Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec;

    private readonly SafeFileHandle _handle;
    private int _references = 1;

    private WalkDirectory(SafeFileHandle handle, string path, FileStatus status)
    {
        _handle = handle;
        Path = path;
        Status = status;
    }

    /// <summary>The directory's path as the walk names it (for messages only: nothing is opened through it).</summary>
    public string Path { get; }

    /// <summary>The directory's own status, from <c>fstat</c> of the descriptor.</summary>
    public FileStatus Status { get; }

    private int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>
    /// Opens the root of a walk. The path's parents may be symlinks (they are resolved once, here); the root itself must
    /// be a directory, not a symlink to one.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Nothing is there, or it is not a directory.</exception>
    public static WalkDirectory OpenRoot(string path)
    {
        var fd = OpenEachLevel(path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new WalkDirectory(handle, path, PosixFile.Fstat(handle, path));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the subdirectory <paramref name="name"/>, which the listing saw as <paramref name="listed"/>. Throws the
    /// I/O error, or an <see cref="IOException"/> when what is there now is another directory.
    /// </summary>
    public WalkDirectory OpenDirectory(ReadOnlySpan<byte> name, FileStatus listed, string path)
    {
        var handle = OpenAt(name, DirectoryFlags, path);
        try
        {
            var status = PosixFile.Fstat(handle, path);
            if (!IsSame(status, listed))
            {
                throw new IOException($"replaced by another directory after it was listed: {path}");
            }
            return new WalkDirectory(handle, path, status);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the regular file <paramref name="name"/> for reading (never through a symlink, never blocking on a FIFO),
    /// and gives its <c>fstat</c> as <paramref name="opened"/>. Throws the I/O error, or an <see cref="IOException"/>
    /// when the entry is no longer the file the listing saw as <paramref name="listed"/> (another type, device or
    /// inode): that file is not read. The caller owns the handle.
    /// </summary>
    public SafeFileHandle OpenFile(ReadOnlySpan<byte> name, FileStatus listed, string path, out FileStatus opened)
    {
        var handle = OpenAt(name, FileFlags, path);
        try
        {
            opened = PosixFile.Fstat(handle, path);
            if (opened.Type != FileType.File || !IsSame(opened, listed))
            {
                throw new IOException($"replaced by another file after the walk listed it (device or inode differ): {path}");
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Lists the directory: every entry but <c>.</c> and <c>..</c>, sorted by name bytes (see <see cref="DirectoryReader"/>).</summary>
    public List<DirectoryReader.Entry> List() => DirectoryReader.Read(Fd, Path);

    /// <summary>The directory's own extended attributes, from its descriptor (see <see cref="Xattrs.Read(SafeFileHandle, string)"/>).</summary>
    public List<Xattr> ReadXattrs() => Xattrs.Read(_handle, Path);

    /// <summary>
    /// The extended attributes of the entry <paramref name="name"/> itself (a symlink's own, never its target's), for
    /// entries that are not opened: Linux has no <c>lgetxattrat</c>, so the name is looked up through
    /// <c>/proc/self/fd</c>, below this descriptor and not through the path. An error's message names that
    /// <c>/proc</c> path.
    /// </summary>
    public List<Xattr> ReadXattrs(ReadOnlySpan<byte> name) => Xattrs.Read($"/proc/self/fd/{Fd}/{EntryName.Decode(name)}");

    /// <summary>
    /// Creates the empty file <paramref name="name"/> here with <c>O_CREAT|O_EXCL|O_NOFOLLOW</c>, mode 0600 (a watch's
    /// cookie): fails if anything, a symlink included, has that name.
    /// </summary>
    public void CreateEmptyFile(ReadOnlySpan<byte> name, string path) =>
        OpenAt(name, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec, path, mode: 0x180).Dispose();

    /// <summary><c>unlinkat(name, 0)</c> below this descriptor: removes a file or a symlink itself, never its target.</summary>
    public void DeleteFile(ReadOnlySpan<byte> name, string path)
    {
        Span<byte> cName = name.Length < 512 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
        name.CopyTo(cName);
        cName[^1] = 0;
        fixed (byte* n = cName)
        {
            if (Libc.UnlinkAt(Fd, n, 0) != 0)
            {
                throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), path);
            }
        }
    }

    /// <summary>Watches this directory in <paramref name="inotify"/> by its descriptor; returns the watch descriptor (see <see cref="Inotify.Add"/>).</summary>
    public int AddWatch(Inotify inotify)
    {
        ArgumentNullException.ThrowIfNull(inotify);
        return inotify.Add(Fd, Path);
    }

    /// <summary>Takes one more reference: the descriptor stays open until this reference is disposed too.</summary>
    public WalkDirectory Retain()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    /// <summary>Gives back one reference; the last one closes the descriptor.</summary>
    public void Dispose()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _handle.Dispose();
        }
    }

    /// <summary>
    /// How many directories a walk may hold open at once (one per level): half the soft limit of open files, so that
    /// the reads, the archive and the repository keep descriptors enough. .NET raises the soft limit to the hard one.
    /// </summary>
    public static int MaxOpen()
    {
        Libc.RLimit limit;
        if (Libc.GetRLimit(Libc.RlimitNoFile, &limit) != 0)
        {
            return 512;
        }
        return (int)Math.Clamp(limit.Current / 2, 16, int.MaxValue);
    }

    private static bool IsSame(FileStatus now, FileStatus listed) =>
        now.Device == listed.Device && now.Inode == listed.Inode && now.Type == listed.Type;

    private SafeFileHandle OpenAt(ReadOnlySpan<byte> name, int flags, string path, uint mode = 0)
    {
        Span<byte> cName = name.Length < 512 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
        name.CopyTo(cName);
        cName[^1] = 0;
        int fd;
        fixed (byte* n = cName)
        {
            fd = Libc.OpenAt(Fd, n, flags, mode);
        }
        if (fd < 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), path);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Opens <paramref name="path"/> one level at a time from <c>/</c> with <c>O_NOFOLLOW|O_DIRECTORY</c>: a watched
    /// path is stored with its symlinks resolved, so a symlink met on the way (an ancestor that a user who owns it
    /// swapped for a link to a root-only directory) is refused rather than followed. A relative path is opened as given.
    /// </summary>
    private static int OpenEachLevel(string path)
    {
        if (!path.StartsWith('/'))
        {
            return OpenLevel(Libc.AtFdCwd, path, path);
        }
        var fd = OpenLevel(Libc.AtFdCwd, "/", "/");
        var reached = "";
        foreach (var component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            reached += "/" + component;
            int next;
            try
            {
                next = OpenLevel(fd, component, reached);
            }
            finally
            {
                _ = Libc.Close(fd);
            }
            fd = next;
        }
        return fd;
    }

    private static int OpenLevel(int dirFd, string name, string reached)
    {
        var bytes = PosixFile.ToCString(name);
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.OpenAt(dirFd, p, DirectoryFlags, 0);
        }
        if (fd >= 0)
        {
            return fd;
        }
        var errno = Marshal.GetLastPInvokeError();
        throw errno switch
        {
            Libc.ENOENT => new DirectoryNotFoundException($"directory does not exist: {reached}"),
            Libc.ENOTDIR or Libc.ELOOP => new DirectoryNotFoundException(
                PosixFile.TryLstat(reached) is { Type: FileType.Symlink }
                    ? $"{reached} is a symlink: a watched path is followed through no symlink (it was resolved when added; add the directory it leads to instead)"
                    : $"not a directory: {reached}"),
            _ => PosixFile.ErrorFor(errno, reached),
        };
    }
}
