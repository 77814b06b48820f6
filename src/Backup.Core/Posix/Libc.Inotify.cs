using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>The calls a watch needs: <c>inotify</c>, <c>poll</c>, <c>eventfd</c> and plain <c>read</c>/<c>write</c> on a descriptor.</summary>
internal static unsafe partial class Libc
{
    public const int InNonBlock = ONonBlock;
    public const int InCloExec = OCloExec;
    public const int EAGAIN = 11;
    public const short PollIn = 1;
    public const short PollPri = 2;
    public const short PollErr = 8;

    [LibraryImport(Library, EntryPoint = "inotify_init1", SetLastError = true)]
    public static partial int InotifyInit1(int flags);

    [LibraryImport(Library, EntryPoint = "inotify_add_watch", SetLastError = true)]
    public static partial int InotifyAddWatch(int fd, byte* path, uint mask);

    [LibraryImport(Library, EntryPoint = "inotify_rm_watch", SetLastError = true)]
    public static partial int InotifyRmWatch(int fd, int wd);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }
}
