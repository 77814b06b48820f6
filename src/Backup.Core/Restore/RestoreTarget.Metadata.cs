using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>Hard links, symlinks, directory metadata, extended attributes and the warnings of a restore.</summary>
public sealed partial class RestoreTarget
{
    private readonly Lock _warningsLock = new();
    private readonly Dictionary<(string Name, int Errno), (string FirstPath, int Count)> _xattrFailures = [];
    private readonly List<string> _warnings = [];

    /// <summary>
    /// What could not be restored without failing the restore: for each extended attribute name and error, how many
    /// entries it failed on and the first of them.
    /// </summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_warningsLock)
            {
                return [.. _warnings, .. _xattrFailures.Select(f =>
                {
                    var where = f.Value.Count == 1 ? f.Value.FirstPath : $"{f.Value.FirstPath} and {f.Value.Count - 1} other entries";
                    return $"could not set extended attribute {f.Key.Name} on {where}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(f.Key.Errno)}";
                })];
            }
        }
    }

    /// <summary>Adds a warning to <see cref="Warnings"/>.</summary>
    public void Warn(string message)
    {
        lock (_warningsLock)
        {
            _warnings.Add(message);
        }
    }

    /// <summary>
    /// Makes <paramref name="relative"/> a hard link to <paramref name="existingRelative"/>, a file this restore wrote.
    /// Its parents are ensured first; with overwrite, a file or symlink in the way is unlinked. The link is made by
    /// <c>linkat</c> between held directory descriptors, which follows no symlink.
    /// </summary>
    public void CreateHardLink(string relative, string existingRelative)
    {
        var (parent, leaf) = Split(relative);
        var (fromParent, fromLeaf) = Split(existingRelative);
        using var to = _directories.Rent(parent, create: true);
        using var from = _directories.Rent(fromParent, create: false);
        var full = FullPath(relative);
        var replaced = ClearLeaf(to.Handle, leaf, full);
        to.Handle.CreateHardLink(from.Handle, fromLeaf, leaf, full);
        if (to.Handle.TryStat(leaf, full) is { } status)
        {
            Record(relative, status, replaced);
            Finish(relative);
        }
    }

    /// <summary>
    /// Creates the symlink <paramref name="link"/> pointing at the raw <paramref name="linkTarget"/>, then gives it
    /// <paramref name="owner"/> (when not null), its extended attributes and its time through an <c>O_PATH</c> handle on
    /// the link itself. With overwrite, a file or symlink in the way is unlinked first.
    /// </summary>
    public void CreateSymlink(RestoreEntry link, ReadOnlySpan<byte> linkTarget, (uint Uid, uint Gid)? owner)
    {
        ArgumentNullException.ThrowIfNull(link);
        var (parent, leaf) = Split(link.Path);
        using var lease = _directories.Rent(parent, create: true);
        var full = FullPath(link.Path);
        var replaced = ClearLeaf(lease.Handle, leaf, full);
        lease.Handle.CreateSymlink(leaf, linkTarget, full);
        using var entry = lease.Handle.OpenEntry(leaf, full);
        var status = PosixFile.Fstat(entry, full);
        if (status.Type != FileType.Symlink)
        {
            throw new IOException($"cannot restore {full}: it was replaced during the restore");
        }
        Record(link.Path, status, replaced);
        if (owner is { } o)
        {
            PosixFile.SetOwnerOfEntry(entry, o.Uid, o.Gid, full);
        }
        foreach (var xattr in link.Xattrs ?? [])
        {
            Check(PosixFile.TrySetXattrOfEntry(entry, xattr), xattr, link.Path);
        }
        PosixFile.SetModificationTimeOfEntry(entry, link.MtimeNs, full);
        Finish(link.Path);
    }

    /// <summary>
    /// Gives the directory <paramref name="directory"/> <paramref name="owner"/> (when not null), then its extended
    /// attributes, <paramref name="permissions"/> and time, all through its descriptor.
    /// </summary>
    public void SetDirectoryMetadata(RestoreEntry directory, (uint Uid, uint Gid)? owner, uint permissions)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var lease = _directories.Rent(directory.Path, create: false);
        var full = FullPath(directory.Path);
        if (owner is { } o)
        {
            lease.Handle.SetOwner(o.Uid, o.Gid, full); // before the attributes and the mode: a change of owner drops setgid
        }
        foreach (var xattr in directory.Xattrs ?? [])
        {
            Check(lease.Handle.TrySetXattr(xattr), xattr, directory.Path);
        }
        lease.Handle.SetPermissions(permissions, full);
        lease.Handle.SetModificationTime(directory.MtimeNs, full);
        Finish(directory.Path);
    }

    /// <summary>Sets the extended attributes of <paramref name="entry"/> on its open file. A refusal becomes a warning (<see cref="Warnings"/>).</summary>
    public void SetXattrs(SafeFileHandle file, RestoreEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        foreach (var xattr in entry.Xattrs ?? [])
        {
            Check(Xattrs.TryWrite(file, xattr), xattr, entry.Path);
        }
    }

    /// <summary>
    /// A refused attribute is a warning: not permitted (<c>security.*</c>, <c>trusted.*</c> without privilege), not
    /// supported by the target's file system, or too large for it (ext4 says ENOSPC when an inode's attribute space is
    /// full). Any other error (EIO, EROFS) fails the restore like any write.
    /// </summary>
    private void Check(int errno, Xattr xattr, string relative)
    {
        if (errno == 0)
        {
            return;
        }
        if (errno is not (Libc.EPERM or Libc.EACCES or Libc.ENOTSUP or Libc.E2BIG or Libc.ERANGE or Libc.EINVAL or Libc.ENOSPC or Libc.EDQUOT))
        {
            throw PosixFile.ErrorFor(errno, FullPath(relative));
        }
        lock (_warningsLock)
        {
            var key = (xattr.DisplayName, errno);
            _xattrFailures[key] = _xattrFailures.TryGetValue(key, out var seen)
                ? (seen.FirstPath, seen.Count + 1)
                : (EntryName.Escape(relative), 1);
        }
    }
}
