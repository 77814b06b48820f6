using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>
/// One inotify instance (inotify(7)), bound directly: watches are added by descriptor (through <c>/proc/self/fd</c>,
/// so a directory swapped for a symlink after it was opened is never watched in its place), and events are read by
/// <see cref="Run"/> on a thread of the caller's, which blocks in <c>poll</c> (no polling loop) on the instance, an
/// <c>eventfd</c> that <see cref="Stop"/> signals, and optionally <c>/proc/self/mountinfo</c>, whose change
/// (a mount or unmount anywhere) is reported to a callback of <see cref="Run"/>.
/// </summary>
public sealed unsafe class Inotify : IDisposable
{
    /// <summary>
    /// What a watch asks for: every change to a directory's entries and to their metadata. No <c>IN_DONT_FOLLOW</c>: the
    /// path is the descriptor's magic link in <c>/proc/self/fd</c>, which must be followed, and leads only to the directory
    /// already open.
    /// </summary>
    public const uint DirectoryMask = Modify | Attrib | CloseWrite | MovedFrom | MovedTo | Create | Delete | DeleteSelf | MoveSelf
        | OnlyDir | ExclUnlink;

    public const uint Modify = 0x2;
    public const uint Attrib = 0x4;
    public const uint CloseWrite = 0x8;
    public const uint MovedFrom = 0x40;
    public const uint MovedTo = 0x80;
    public const uint Create = 0x100;
    public const uint Delete = 0x200;
    public const uint DeleteSelf = 0x400;
    public const uint MoveSelf = 0x800;
    public const uint Unmount = 0x2000;
    public const uint QueueOverflow = 0x4000;
    public const uint Ignored = 0x8000;
    public const uint OnlyDir = 0x01000000;
    public const uint DontFollow = 0x02000000;
    public const uint ExclUnlink = 0x04000000;
    public const uint IsDir = 0x40000000;

    private readonly int _fd;
    private readonly int _stop;
    private readonly int _mounts;
    private volatile bool _stopped;

    /// <summary>Creates an instance. Throws <see cref="IOException"/> when the kernel refuses one (the per-user instance limit).</summary>
    public Inotify(bool watchMounts = true)
    {
        _fd = Libc.InotifyInit1(Libc.InNonBlock | Libc.InCloExec);
        if (_fd < 0)
        {
            throw PosixFile.ErrorFor(Marshal.GetLastPInvokeError(), "inotify_init1");
        }
        _stop = Libc.EventFd(0, Libc.OCloExec | Libc.ONonBlock);
        if (_stop < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Libc.Close(_fd);
            throw PosixFile.ErrorFor(errno, "eventfd");
        }
        _mounts = -1;
        if (watchMounts)
        {
            var path = PosixFile.ToCString("/proc/self/mountinfo");
            fixed (byte* p = path)
            {
                _mounts = Libc.Open(p, Libc.ORdOnly | Libc.OCloExec, 0);
            }
        }
    }

    /// <summary>The value of <c>fs.inotify.max_user_watches</c>, or null when it cannot be read.</summary>
    public static long? MaxUserWatches => ReadLimit("/proc/sys/fs/inotify/max_user_watches");

    /// <summary>The value of <c>fs.inotify.max_queued_events</c>, or null when it cannot be read.</summary>
    public static long? MaxQueuedEvents => ReadLimit("/proc/sys/fs/inotify/max_queued_events");

    /// <summary>
    /// Watches the directory open as <paramref name="directoryFd"/>; returns its watch descriptor (the same one again for
    /// a directory already watched). Throws <see cref="WatchLimitException"/> on <c>ENOSPC</c>, the I/O error otherwise.
    /// </summary>
    public int Add(int directoryFd, string pathForErrors)
    {
        var path = PosixFile.ToCString($"/proc/self/fd/{directoryFd}");
        int wd;
        fixed (byte* p = path)
        {
            wd = Libc.InotifyAddWatch(_fd, p, DirectoryMask);
        }
        if (wd >= 0)
        {
            return wd;
        }
        var errno = Marshal.GetLastPInvokeError();
        throw errno == Libc.ENOSPC ? new WatchLimitException(pathForErrors) : PosixFile.ErrorFor(errno, pathForErrors);
    }

    /// <summary>Stops watching <paramref name="wd"/>; an <see cref="Ignored"/> event for it follows. A watch already gone is no error.</summary>
    public void Remove(int wd) => _ = Libc.InotifyRmWatch(_fd, wd);

    /// <summary>
    /// Reads events until <see cref="Stop"/>, handing each to <paramref name="onEvent"/> on this thread. Blocks in
    /// <c>poll</c> between reads. <paramref name="onMountsChanged"/> is called when the mount table changed. While
    /// <paramref name="parkedWhile"/> (a test seam) returns true, events are left in the kernel's queue.
    /// </summary>
    public void Run(Action<InotifyEvent> onEvent, Action onMountsChanged, Func<bool>? parkedWhile = null)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        ArgumentNullException.ThrowIfNull(onMountsChanged);
        var buffer = new byte[256 * 1024];
        var fds = stackalloc Libc.PollFd[3];
        fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.PollIn };
        fds[1] = new Libc.PollFd { Fd = _stop, Events = Libc.PollIn };
        fds[2] = new Libc.PollFd { Fd = _mounts, Events = Libc.PollPri | Libc.PollErr };
        var count = _mounts >= 0 ? 3u : 2u;
        while (!_stopped)
        {
            fds[0].Returned = fds[1].Returned = fds[2].Returned = 0;
            if (Libc.Poll(fds, count, -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }
                throw PosixFile.ErrorFor(errno, "poll on inotify");
            }
            if (fds[1].Returned != 0 || _stopped)
            {
                return;
            }
            if (count == 3 && fds[2].Returned != 0)
            {
                onMountsChanged();
            }
            while (parkedWhile?.Invoke() == true && !_stopped)
            {
                Thread.Sleep(10);
            }
            if (fds[0].Returned != 0)
            {
                ReadAll(buffer, onEvent);
            }
        }
    }

    /// <summary>Ends <see cref="Run"/> (from any thread).</summary>
    public void Stop()
    {
        _stopped = true;
        ulong one = 1;
        _ = Libc.Write(_stop, (byte*)&one, 8);
    }

    private void ReadAll(byte[] buffer, Action<InotifyEvent> onEvent)
    {
        while (true)
        {
            nint read;
            fixed (byte* b = buffer)
            {
                read = Libc.Read(_fd, b, buffer.Length);
            }
            if (read < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN || errno == Libc.EINTR)
                {
                    return;
                }
                throw PosixFile.ErrorFor(errno, "read from inotify");
            }
            if (read == 0)
            {
                return;
            }
            Parse(buffer.AsSpan(0, (int)read), onEvent);
        }
    }

    /// <summary>Parses a buffer of <c>struct inotify_event</c>s (16 bytes, then the name padded with NULs).</summary>
    internal static void Parse(ReadOnlySpan<byte> bytes, Action<InotifyEvent> onEvent)
    {
        while (bytes.Length >= 16)
        {
            var wd = BinaryPrimitives.ReadInt32LittleEndian(bytes);
            var mask = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
            var cookie = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
            if (length > bytes.Length - 16)
            {
                throw new InvalidDataException("inotify returned a torn event");
            }
            var name = bytes.Slice(16, length);
            var end = name.IndexOf((byte)0);
            onEvent(new InotifyEvent(wd, mask, cookie, (end < 0 ? name : name[..end]).ToArray()));
            bytes = bytes[(16 + length)..];
        }
    }

    private static long? ReadLimit(string path)
    {
        try
        {
            return long.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ = Libc.Close(_fd);
        _ = Libc.Close(_stop);
        if (_mounts >= 0)
        {
            _ = Libc.Close(_mounts);
        }
    }
}
