using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>Removing what a failed or interrupted restore created, and nothing else.</summary>
public sealed partial class RestoreTarget
{
    /// <summary>
    /// Removes what this restore created, deepest first, through directory descriptors (never by path): an entry is
    /// removed only when its name still holds the very entry created (device and inode), a directory only when empty,
    /// so nothing another user put in the target, and nothing outside it, is deleted. With overwrite, a file that
    /// already replaced an existing one in full is kept (the old one is gone; this is the newer copy). The target itself
    /// is removed when this restore created it and it is empty again. Never throws; returns what it did, for the user.
    /// </summary>
    public string Abandon()
    {
        var kept = 0;
        var left = new List<string>();
        foreach (var relative in _created.Where(e => e.Value.Type == FileType.Directory).Select(e => e.Key))
        {
            // A directory may have got its final mode already (read-only, say): make it writable to empty it.
            Try(() =>
            {
                using var lease = _directories.Rent(relative, create: false);
                lease.Handle.SetPermissions(0x1C0, FullPath(relative));
                return true;
            });
        }
        RemoveFinished();
        foreach (var (relative, entry) in _created.OrderByDescending(e => e.Key, StringComparer.Ordinal))
        {
            if (entry.Replaced && entry.Finished)
            {
                kept++;
            }
            else if (!Try(() => TryRemove(relative, entry)))
            {
                left.Add(relative);
            }
        }
        var removedRoot = left.Count == 0 && kept == 0 && _rootParent is not null && Try(() =>
        {
            var status = _rootParent.TryStat(_rootName, Root);
            return status is { } s && s.Device == _rootStatus.Device && s.Inode == _rootStatus.Inode
                && _rootParent.TryDeleteDirectory(_rootName, Root);
        });
        return Describe(kept, left, removedRoot);
    }

    /// <summary>
    /// Removes from each directory this restore created (and the target, when it created that) the entries that are
    /// <see cref="_finished"/>: listed through the directory's descriptor, each name removed only while it holds such an
    /// entry (device and inode), never followed.
    /// </summary>
    private void RemoveFinished()
    {
        if (_finished.IsEmpty)
        {
            return;
        }
        var directories = _created.Where(e => e.Value.Type == FileType.Directory && !e.Value.Replaced).Select(e => e.Key);
        foreach (var relative in (_rootParent is null ? directories : directories.Prepend("")).ToList())
        {
            Try(() =>
            {
                using var lease = _directories.Rent(relative, create: false);
                foreach (var entry in lease.Handle.List(FullPath(relative)))
                {
                    if (_finished.Contains(entry.Status))
                    {
                        var name = EntryName.Decode(entry.Name);
                        Try(() =>
                        {
                            lease.Handle.Delete(name, FullPath(Path.Join(relative, name)));
                            return true;
                        });
                    }
                }
                return true;
            });
        }
    }

    /// <summary>Removes <paramref name="relative"/> if its name still holds <paramref name="entry"/>; false when it does not, or a directory is not empty.</summary>
    private bool TryRemove(string relative, CreatedEntry entry)
    {
        var (parent, leaf) = Split(relative);
        using var lease = _directories.Rent(parent, create: false);
        var full = FullPath(relative);
        if (lease.Handle.TryStat(leaf, full) is not { } status || !entry.Is(status))
        {
            return false; // renamed or replaced by someone else: whatever holds the name now is not ours
        }
        if (entry.Type == FileType.Directory)
        {
            return lease.Handle.TryDeleteDirectory(leaf, full);
        }
        lease.Handle.Delete(leaf, full);
        return true;
    }

    private string Describe(int kept, List<string> left, bool removedRoot)
    {
        var shown = EntryName.Escape(Root);
        var what = removedRoot ? $"removed {shown}, which it had created" : $"removed what it had written to {shown}";
        if (kept > 0)
        {
            what = $"{what} except {kept} whole file{(kept == 1 ? "" : "s")} that had already replaced existing ones (--overwrite)";
        }
        if (left.Count > 0)
        {
            var first = EntryName.Escape(FullPath(left.Min(StringComparer.Ordinal)!));
            what = $"{what}; left {left.Count} entr{(left.Count == 1 ? "y" : "ies")} it could not remove safely (moved, replaced or not empty), such as {first}";
        }
        return what;
    }

    private static bool Try(Func<bool> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // best effort: the caller reports the original failure, which matters more
        }
    }
}
