using System.Runtime.InteropServices;

namespace Backup.Core.Posix;

/// <summary>
/// The few libc calls that .NET does not expose: <c>statx</c> (nanosecond times, inode, ctime, no link following),
/// <c>opendir</c>/<c>readdir</c> (raw name bytes, so names that are not valid UTF-8 are seen as they are),
/// <c>open</c> with <c>O_NOFOLLOW</c>, the <c>*at</c> calls that act relative to a held directory descriptor,
/// <c>utimensat</c>, <c>flock</c>, the extended-attribute calls, <c>link</c>, and
/// the reentrant user and group lookups. Linux only; the layouts used are the
/// architecture-independent ones (<c>struct statx</c>, 64-bit <c>struct dirent</c>).
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    public const int AtRemoveDir = 0x200;
    public const uint StatxBasicStats = 0x7ff;

    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OCreat = 0x40;
    public const int ONonBlock = 0x800;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;
    public const int ODirectory = 0x10000;
    public const int OWrOnly = 1;
    public const int OExcl = 0x80;
    public const int OPath = 0x200000;
    public const int EEXIST = 17;

    public const int LockEx = 2;
    public const int LockNb = 4;
    public const int LockUn = 8;

    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int EWOULDBLOCK = 11;
    public const int ELOOP = 40;
    public const int EINTR = 4;
    public const int EPERM = 1;
    public const int E2BIG = 7;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EMLINK = 31;
    public const int ERANGE = 34;
    public const int ENODATA = 61;
    public const int EXDEV = 18;
    public const int ENOTSUP = 95;
    public const int EDQUOT = 122;
    public const int ENOTEMPTY = 39;
    public const int EISDIR = 21;

    [LibraryImport(Library, EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(int dirFd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirFd, byte* path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "fdopendir", SetLastError = true)]
    public static partial nint FdOpenDir(int fd);

    [LibraryImport(Library, EntryPoint = "readdir64", SetLastError = true)]
    public static partial DirEnt* ReadDir(nint dir);

    [LibraryImport(Library, EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(nint dir);

    [LibraryImport(Library, EntryPoint = "dirfd", SetLastError = true)]
    public static partial int DirFd(nint dir);

    [LibraryImport(Library, EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadLinkAt(int dirFd, byte* path, byte* buffer, nint size);

    [LibraryImport(Library, EntryPoint = "fchown", SetLastError = true)]
    public static partial int FChown(int fd, uint owner, uint group);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int FChmod(int fd, uint mode);

    [LibraryImport(Library, EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FChownAt(int dirFd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(Library, EntryPoint = "utimensat", SetLastError = true)]
    public static partial int UtimensAt(int dirFd, byte* path, Timespec* times, int flags);

    [LibraryImport(Library, EntryPoint = "realpath", SetLastError = true)]
    public static partial byte* RealPath(byte* path, byte* resolved);

    [LibraryImport(Library, EntryPoint = "symlink", SetLastError = true)]
    public static partial int Symlink(byte* target, byte* linkPath);

    [LibraryImport(Library, EntryPoint = "futimens", SetLastError = true)]
    public static partial int FUtimens(int fd, Timespec* times);

    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport(Library, EntryPoint = "mkdir", SetLastError = true)]
    public static partial int MkDir(byte* path, uint mode);

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkDirAt(int dirFd, byte* path, uint mode);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirFd, byte* path, int flags);

    [LibraryImport(Library, EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, int newDirFd, byte* linkPath);

    [LibraryImport(Library, EntryPoint = "setxattr", SetLastError = true)]
    public static partial int SetXattr(byte* path, byte* name, byte* value, nint size, int flags);

    [LibraryImport(Library, EntryPoint = "unlink", SetLastError = true)]
    public static partial int Unlink(byte* path);

    [LibraryImport(Library, EntryPoint = "rmdir", SetLastError = true)]
    public static partial int RmDir(byte* path);

    [LibraryImport(Library, EntryPoint = "fchmodat", SetLastError = true)]
    public static partial int FChmodAt(int dirFd, byte* path, uint mode, int flags);

    [LibraryImport(Library, EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int oldDirFd, byte* oldPath, int newDirFd, byte* newPath, int flags);

    [LibraryImport(Library, EntryPoint = "llistxattr", SetLastError = true)]
    public static partial nint LListXattr(byte* path, byte* list, nint size);

    [LibraryImport(Library, EntryPoint = "flistxattr", SetLastError = true)]
    public static partial nint FListXattr(int fd, byte* list, nint size);

    [LibraryImport(Library, EntryPoint = "lgetxattr", SetLastError = true)]
    public static partial nint LGetXattr(byte* path, byte* name, byte* value, nint size);

    [LibraryImport(Library, EntryPoint = "fgetxattr", SetLastError = true)]
    public static partial nint FGetXattr(int fd, byte* name, byte* value, nint size);

    [LibraryImport(Library, EntryPoint = "lsetxattr", SetLastError = true)]
    public static partial int LSetXattr(byte* path, byte* name, byte* value, nint size, int flags);

    [LibraryImport(Library, EntryPoint = "fsetxattr", SetLastError = true)]
    public static partial int FSetXattr(int fd, byte* name, byte* value, nint size, int flags);

    /// <summary><c>getpwuid_r</c>: <paramref name="passwd"/> is a <c>struct passwd</c> (48 bytes on 64-bit Linux) whose first field is <c>pw_name</c>.</summary>
    [LibraryImport(Library, EntryPoint = "getpwuid_r")]
    public static partial int GetPwUidR(uint uid, byte* passwd, byte* buffer, nint size, byte** result);

    /// <summary><c>getgrgid_r</c>: <paramref name="group"/> is a <c>struct group</c> (32 bytes on 64-bit Linux) whose first field is <c>gr_name</c>.</summary>
    [LibraryImport(Library, EntryPoint = "getgrgid_r")]
    public static partial int GetGrGidR(uint gid, byte* group, byte* buffer, nint size, byte** result);

    /// <summary><c>struct statx</c> from linux/stat.h: 256 bytes, the same on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(48)] public ulong Blocks;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    /// <summary>glibc's <c>struct dirent64</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DirEnt
    {
        public ulong Ino;
        public long Off;
        public ushort RecLen;
        public byte Type;
        public fixed byte Name[256];
    }

    /// <summary><c>struct timespec</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Sec;
        public long Nsec;
    }
}
