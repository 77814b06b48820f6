namespace Backup.Core.Posix;

/// <summary>One extended attribute (xattr) of a file-system entry: its raw name (<c>user.x</c>, <c>security.selinux</c>,
/// <c>system.posix_acl_access</c>…) and raw value, both as the kernel gives them.</summary>
/// <param name="Name">The name's bytes, without the terminating NUL.</param>
/// <param name="Value">The value's bytes (may be empty).</param>
public sealed record Xattr(byte[] Name, byte[] Value)
{
    /// <summary>The name in printable form.</summary>
    public string DisplayName => EntryName.Escape(Name);
}
