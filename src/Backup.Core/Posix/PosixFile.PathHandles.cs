using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Posix;

/// <summary>
/// Metadata of an entry held by an <c>O_PATH|O_NOFOLLOW</c> handle (<see cref="DirectoryHandle.OpenEntry"/>): a symlink
/// has no descriptor to write through, and <c>lsetxattr</c> and <c>utimensat</c> have no empty-path form. Through
/// <c>/proc/self/fd/N</c> the kernel jumps straight to the held entry (a symlink itself, never its target: checked on
/// Linux 6.x), so no name is looked up again and nothing another user swaps meanwhile is reached. Needs /proc.
/// </summary>
public static unsafe partial class PosixFile
{
    /// <summary><c>fchownat(handle, "", AT_EMPTY_PATH)</c>: the owner and group of the held entry itself.</summary>
    public static void SetOwnerOfEntry(SafeFileHandle pathHandle, uint uid, uint gid, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(pathHandle);
        var empty = stackalloc byte[1];
        empty[0] = 0;
        if (Libc.FChownAt((int)pathHandle.DangerousGetHandle(), empty, uid, gid, Libc.AtEmptyPath | Libc.AtSymlinkNoFollow) != 0)
        {
            throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
        }
    }

    /// <summary>The modification (and access) time of the held entry itself, in nanoseconds since the epoch.</summary>
    public static void SetModificationTimeOfEntry(SafeFileHandle pathHandle, long mtimeNs, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(pathHandle);
        var times = stackalloc Libc.Timespec[2];
        times[0] = ToTimespec(mtimeNs);
        times[1] = times[0];
        var proc = ToCString(ProcPath(pathHandle));
        fixed (byte* p = proc)
        {
            if (Libc.UtimensAt(Libc.AtFdCwd, p, times, 0) != 0)
            {
                throw ErrorFor(Marshal.GetLastPInvokeError(), pathForErrors);
            }
        }
    }

    /// <summary>Sets <paramref name="attribute"/> on the held entry itself. Returns 0, or the errno of a failure.</summary>
    public static int TrySetXattrOfEntry(SafeFileHandle pathHandle, Xattr attribute)
    {
        ArgumentNullException.ThrowIfNull(pathHandle);
        ArgumentNullException.ThrowIfNull(attribute);
        var proc = ToCString(ProcPath(pathHandle));
        var name = new byte[attribute.Name.Length + 1];
        attribute.Name.CopyTo(name, 0);
        fixed (byte* p = proc)
        fixed (byte* n = name)
        fixed (byte* v = attribute.Value)
        {
            return Libc.SetXattr(p, n, v, attribute.Value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private static string ProcPath(SafeFileHandle handle) =>
        "/proc/self/fd/" + ((int)handle.DangerousGetHandle()).ToString(CultureInfo.InvariantCulture);
}
