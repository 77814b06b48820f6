using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>Hard links, extended attributes and the warnings of a restore.</summary>
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
    /// <c>linkat</c>, which never follows a symlink at either path.
    /// </summary>
    public void CreateHardLink(string relative, string existingRelative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        var cut = relative.LastIndexOf('/');
        if (cut > 0)
        {
            EnsureDirectory(relative[..cut]);
        }
        var full = PrepareLeaf(relative);
        PosixFile.CreateHardLink(FullPath(existingRelative), full);
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

    /// <summary>Sets the extended attributes of <paramref name="entry"/> on its path itself (a symlink's own). A refusal becomes a warning.</summary>
    public void SetXattrs(RestoreEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Xattrs is not { Count: > 0 } xattrs)
        {
            return;
        }
        var full = FullPath(entry.Path);
        foreach (var xattr in xattrs)
        {
            Check(Xattrs.TryWrite(full, xattr), xattr, entry.Path);
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
