namespace Backup.Core.Posix;

/// <summary>
/// The user and group names of numeric ids (<c>getpwuid_r</c>, <c>getgrgid_r</c>), each id looked up once: a tree
/// usually has a handful of owners. Null for an id that has no name or a name that is not UTF-8. Not thread-safe: one
/// instance per walk.
/// </summary>
public sealed unsafe class OwnerNames
{
    private readonly Dictionary<uint, string?> _users = [];
    private readonly Dictionary<uint, string?> _groups = [];

    /// <summary>The name of user <paramref name="uid"/>, or null.</summary>
    public string? User(uint uid)
    {
        if (!_users.TryGetValue(uid, out var name))
        {
            name = Lookup(uid, static (id, entry, buffer, size, result) => Libc.GetPwUidR(id, entry, buffer, size, result));
            _users[uid] = name;
        }
        return name;
    }

    /// <summary>The name of group <paramref name="gid"/>, or null.</summary>
    public string? Group(uint gid)
    {
        if (!_groups.TryGetValue(gid, out var name))
        {
            name = Lookup(gid, static (id, entry, buffer, size, result) => Libc.GetGrGidR(id, entry, buffer, size, result));
            _groups[gid] = name;
        }
        return name;
    }

    private delegate int LookupCall(uint id, byte* entry, byte* buffer, nint size, byte** result);

    private static string? Lookup(uint id, LookupCall call)
    {
        // struct passwd is 48 bytes and struct group 32 on 64-bit Linux; the first field of both is the name.
        var entry = stackalloc byte[64];
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                byte* result = null;
                var error = call(id, entry, b, size, &result);
                if (error == Libc.ERANGE)
                {
                    continue;
                }
                if (error != 0 || result == null)
                {
                    return null; // no such id, or the name service failed: the number alone is kept
                }
                var name = *(byte**)result;
                if (name == null)
                {
                    return null;
                }
                var bytes = new ReadOnlySpan<byte>(name, int.MaxValue);
                bytes = bytes[..bytes.IndexOf((byte)0)];
                return bytes.Length > 0 && EntryName.TryDecode(bytes, out var decoded) ? decoded : null;
            }
        }
        return null;
    }
}
