using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>The calls the descriptor-based walk needs beyond <see cref="Libc"/>'s: duplicating a descriptor and the open-file limit.</summary>
internal static unsafe partial class Libc
{
    public const int FDupFdCloExec = 1030;
    public const int RlimitNoFile = 7;
    public const int ENFILE = 23;
    public const int EMFILE = 24;

    /// <summary><c>fcntl</c> with one integer argument (such as <c>F_DUPFD_CLOEXEC</c>).</summary>
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, RLimit* limit);

    /// <summary><c>struct rlimit</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
