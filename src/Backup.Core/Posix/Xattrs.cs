using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Posix;

/// <summary>
/// Reads and writes extended attributes with <c>listxattr</c>/<c>getxattr</c>/<c>setxattr</c>: the <c>f</c> variants on
/// an open file, the <c>l</c> variants on a path (a symlink's own attributes, never its target's). Thread-safe: no state.
/// </summary>
public static unsafe class Xattrs
{
    private const int MaxValue = 64 * 1024; // XATTR_SIZE_MAX: no value is longer

    /// <summary>
    /// Every attribute of <paramref name="path"/> itself, sorted by name bytes; empty when there are none or the file
    /// system has no extended attributes. An attribute removed between listing and reading is left out. Throws the I/O
    /// error otherwise (permission denied, for example).
    /// </summary>
    public static List<Xattr> Read(string path)
    {
        var p = PosixFile.ToCString(path);
        fixed (byte* pp = p)
        {
            var at = pp;
            return ReadAll(
                (list, size) => Libc.LListXattr(at, list, size),
                (name, value, size) => Libc.LGetXattr(at, name, value, size),
                path);
        }
    }

    /// <summary>Every attribute of the open file <paramref name="handle"/>, sorted by name bytes (see <see cref="Read(string)"/>).</summary>
    public static List<Xattr> Read(SafeFileHandle handle, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var fd = (int)handle.DangerousGetHandle();
        return ReadAll(
            (list, size) => Libc.FListXattr(fd, list, size),
            (name, value, size) => Libc.FGetXattr(fd, name, value, size),
            pathForErrors);
    }

    /// <summary>Sets <paramref name="attribute"/> on <paramref name="path"/> itself (never through a final symlink). Returns 0, or the errno of a failure.</summary>
    public static int TryWrite(string path, Xattr attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        var p = PosixFile.ToCString(path);
        var name = CString(attribute.Name);
        fixed (byte* pp = p)
        fixed (byte* n = name)
        fixed (byte* v = attribute.Value)
        {
            return Libc.LSetXattr(pp, n, v, attribute.Value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Sets <paramref name="attribute"/> on the open file <paramref name="handle"/>. Returns 0, or the errno of a failure.</summary>
    public static int TryWrite(SafeFileHandle handle, Xattr attribute)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(attribute);
        var name = CString(attribute.Name);
        fixed (byte* n = name)
        fixed (byte* v = attribute.Value)
        {
            return Libc.FSetXattr((int)handle.DangerousGetHandle(), n, v, attribute.Value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private delegate nint ListCall(byte* list, nint size);

    private delegate nint GetCall(byte* name, byte* value, nint size);

    private static List<Xattr> ReadAll(ListCall list, GetCall get, string pathForErrors)
    {
        var attributes = new List<Xattr>();
        var names = ListNames(list, pathForErrors);
        if (names is null)
        {
            return attributes;
        }
        var start = 0;
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] != 0)
            {
                continue;
            }
            if (i > start)
            {
                var name = names.AsSpan(start, i - start + 1); // with its NUL
                var value = GetValue(get, name, pathForErrors);
                if (value is not null)
                {
                    attributes.Add(new Xattr(name[..^1].ToArray(), value));
                }
            }
            start = i + 1;
        }
        attributes.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        return attributes;
    }

    /// <summary>The NUL-separated name list, or null when the file system has no extended attributes.</summary>
    private static byte[]? ListNames(ListCall list, string pathForErrors)
    {
        while (true)
        {
            var size = list(null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == Libc.ENOTSUP ? null : throw PosixFile.ErrorFor(errno, pathForErrors);
            }
            if (size == 0)
            {
                return null;
            }
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                var n = list(b, size);
                if (n >= 0)
                {
                    return buffer[..(int)n];
                }
            }
            var again = Marshal.GetLastPInvokeError();
            if (again != Libc.ERANGE)
            {
                throw PosixFile.ErrorFor(again, pathForErrors); // ERANGE: an attribute was added meanwhile; list again
            }
        }
    }

    private static byte[]? GetValue(GetCall get, ReadOnlySpan<byte> name, string pathForErrors)
    {
        fixed (byte* n = name)
        {
            while (true)
            {
                var size = get(n, null, 0);
                if (size >= 0)
                {
                    var value = new byte[Math.Min(size, MaxValue)];
                    fixed (byte* v = value)
                    {
                        var got = get(n, v, value.Length);
                        if (got >= 0)
                        {
                            return value[..(int)got];
                        }
                    }
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENODATA)
                {
                    return null; // removed since it was listed
                }
                if (errno != Libc.ERANGE)
                {
                    throw PosixFile.ErrorFor(errno, pathForErrors);
                }
            }
        }
    }

    private static byte[] CString(byte[] name)
    {
        var c = new byte[name.Length + 1];
        name.CopyTo(c, 0);
        return c;
    }
}
