using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// Compares a restore target with a <see cref="RestorePlan"/>: what the restore creates, replaces and leaves alone, and,
/// with delete, removes what the snapshot (or its selected part) does not have, so that the target becomes equal to it.
/// The target is walked through directory descriptors only: each directory is opened from its parent with
/// <c>O_NOFOLLOW|O_DIRECTORY</c> and entries are removed with <c>unlinkat</c> relative to it, so a symlink in the target
/// is removed itself, never followed, and a directory swapped for a symlink meanwhile is refused (reported in
/// <see cref="TargetChanges.Failures"/>) instead of leading outside. The target itself is never removed; an entry that
/// <see cref="RestoreSelection.IsExcluded"/> names is never removed, nor what lies below it; a directory is removed
/// only once empty. Not thread-safe: one walk at a time.
/// </summary>
public sealed class TargetReconciler
{
    private readonly Dictionary<string, (FileType Type, long Size)> _planned = new(StringComparer.Ordinal);
    private readonly RestoreSelection _selection;

    /// <summary>Prepares to compare targets with <paramref name="plan"/>, made with <paramref name="selection"/>.</summary>
    public TargetReconciler(RestorePlan plan, RestoreSelection selection)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(selection);
        _selection = selection;
        foreach (var dir in plan.Directories)
        {
            _planned[dir.Path] = (FileType.Directory, 0);
        }
        foreach (var file in plan.Files)
        {
            _planned[file.Path] = (FileType.File, file.Size);
        }
        foreach (var link in plan.HardLinks)
        {
            _planned[link.Entry.Path] = (FileType.File, 0); // its data is written once, with the file it links to
        }
        foreach (var link in plan.Symlinks)
        {
            _planned[link.Path] = (FileType.Symlink, 0);
        }
    }

    /// <summary>Called with the relative path of each directory once it is listed, before anything in it is removed (a test's moment to attack).</summary>
    internal Action<string>? AfterListing { get; init; }

    /// <summary>
    /// What a restore into <paramref name="target"/> would do, writing nothing. Throws <see cref="IOException"/>, as the
    /// restore would, when the target is not a directory, or is not empty and <paramref name="overwrite"/> is false.
    /// </summary>
    public TargetChanges Preview(string target, bool overwrite, bool delete, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (File.Exists(root) && !Directory.Exists(root))
        {
            throw new IOException($"restore target is a file, not a directory: {root}");
        }
        if (!Directory.Exists(root))
        {
            var changes = new TargetChanges();
            CountCreated(changes, new HashSet<string>(StringComparer.Ordinal));
            return changes;
        }
        using var handle = DirectoryHandle.Open(root);
        if (!overwrite && !handle.IsEmpty(root))
        {
            throw new IOException($"restore target is not empty: {root} (use --overwrite to restore into it)");
        }
        return Walk(handle, root, delete, apply: false, cancellationToken);
    }

    /// <summary>
    /// Removes from <paramref name="target"/> what the plan does not have (see the type's rules) and what stands where the
    /// plan has another kind of entry, and returns what it did and what the restore that follows will do. A target that
    /// does not exist has nothing to remove. An entry that cannot be removed is listed in <see cref="TargetChanges.Failures"/>
    /// and the others are still removed.
    /// </summary>
    public TargetChanges DeleteExtras(string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (!Directory.Exists(root))
        {
            var changes = new TargetChanges();
            CountCreated(changes, new HashSet<string>(StringComparer.Ordinal));
            return changes;
        }
        using var handle = DirectoryHandle.Open(root);
        return Walk(handle, root, delete: true, apply: true, cancellationToken);
    }

    private TargetChanges Walk(DirectoryHandle root, string rootPath, bool delete, bool apply, CancellationToken cancellationToken)
    {
        var walk = new Pass(this, rootPath, delete, apply, cancellationToken);
        walk.Visit(root, "");
        CountCreated(walk.Changes, walk.Present);
        walk.Changes.DeletedPaths.Sort(StringComparer.Ordinal);
        return walk.Changes;
    }

    private void CountCreated(TargetChanges changes, HashSet<string> present)
    {
        foreach (var (path, (type, size)) in _planned)
        {
            if (!present.Contains(path))
            {
                changes.Created.Add(type, size);
            }
        }
    }

    /// <summary>One walk of one target.</summary>
    private sealed class Pass(TargetReconciler owner, string rootPath, bool delete, bool apply, CancellationToken cancellationToken)
    {
        public TargetChanges Changes { get; } = new();

        /// <summary>Planned paths the target holds with the same kind of entry (not created).</summary>
        public HashSet<string> Present { get; } = new(StringComparer.Ordinal);

        public void Visit(DirectoryHandle directory, string relative)
        {
            foreach (var (entry, name, path) in List(directory, relative))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var type = entry.Status.Type;
                if (owner._planned.TryGetValue(path, out var planned))
                {
                    VisitPlanned(directory, name, path, type, entry.Status.Size, planned);
                }
                else if (owner._selection.IsExcluded(path))
                {
                    Changes.LeftAlone.Add(type, entry.Status.Size);
                }
                else if (!owner._selection.IsSelected(path))
                {
                    // Not included; what lies below may be (an include such as '*.txt'), unless it is excluded.
                    VisitOrLeave(directory, name, path, type, entry.Status.Size);
                }
                else if (delete)
                {
                    Remove(directory, name, path, type, entry.Status.Size);
                }
                else
                {
                    Changes.LeftAlone.Add(type, entry.Status.Size);
                }
            }
        }

        private void VisitPlanned(DirectoryHandle directory, string name, string path, FileType type, long size, (FileType Type, long Size) planned)
        {
            var isDirectory = type == FileType.Directory;
            if ((planned.Type == FileType.Directory) == isDirectory)
            {
                Present.Add(path);
                if (isDirectory)
                {
                    Changes.ExistingDirectories++;
                    Descend(directory, name, path);
                }
                else
                {
                    Changes.Overwritten.Add(planned.Type, planned.Size);
                }
            }
            else if (delete)
            {
                Remove(directory, name, path, type, size); // then created as the snapshot has it
            }
            else
            {
                Present.Add(path);
                Changes.InTheWay.Add(path);
            }
        }

        private void VisitOrLeave(DirectoryHandle directory, string name, string path, FileType type, long size)
        {
            if (type == FileType.Directory && owner._selection.Include.Count > 0)
            {
                Descend(directory, name, path);
            }
            else
            {
                Changes.LeftAlone.Add(type, size);
            }
        }

        private void Descend(DirectoryHandle directory, string name, string path)
        {
            using var sub = Open(directory, name, path);
            if (sub is not null)
            {
                Visit(sub, path);
            }
        }

        /// <summary>Removes <paramref name="name"/> and what lies below it but excluded entries; true when it is gone.</summary>
        private bool Remove(DirectoryHandle directory, string name, string path, FileType type, long size)
        {
            var full = Path.Join(rootPath, path);
            try
            {
                if (type == FileType.Directory)
                {
                    using var sub = Open(directory, name, path);
                    if (sub is null || !RemoveContents(sub, path))
                    {
                        return false;
                    }
                    if (apply && !directory.TryDeleteDirectory(name, full))
                    {
                        Changes.Failures.Add(new RestoreFailure(path, "not empty: something was added to it meanwhile"));
                        return false;
                    }
                }
                else if (apply)
                {
                    directory.Delete(name, full); // unlinkat(name, 0): a symlink itself; a directory put there meanwhile is refused (EISDIR)
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Changes.Failures.Add(new RestoreFailure(path, e.Message));
                return false;
            }
            Changes.Deleted.Add(type, size);
            Changes.DeletedPaths.Add(path);
            return true;
        }

        /// <summary>Removes what <paramref name="directory"/> holds but excluded entries; true when nothing is left.</summary>
        private bool RemoveContents(DirectoryHandle directory, string relative)
        {
            var empty = true;
            foreach (var (entry, name, path) in List(directory, relative))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (owner._selection.IsExcluded(path))
                {
                    Changes.LeftAlone.Add(entry.Status.Type, entry.Status.Size);
                    empty = false;
                }
                else if (!Remove(directory, name, path, entry.Status.Type, entry.Status.Size))
                {
                    empty = false;
                }
            }
            return empty;
        }

        private List<(DirectoryReader.Entry Entry, string Name, string Path)> List(DirectoryHandle directory, string relative)
        {
            var entries = directory.List(relative.Length == 0 ? rootPath : Path.Join(rootPath, relative));
            owner.AfterListing?.Invoke(relative);
            return [.. entries.Select(e =>
            {
                var name = EntryName.Decode(e.Name);
                return (e, name, relative.Length == 0 ? name : $"{relative}/{name}");
            })];
        }

        /// <summary>Opens the directory <paramref name="name"/> without following a symlink; null (and a failure) when it is one now, or is gone.</summary>
        private DirectoryHandle? Open(DirectoryHandle directory, string name, string path)
        {
            try
            {
                var sub = directory.OpenDirectory(name, Path.Join(rootPath, path));
                if (sub is null)
                {
                    Changes.Failures.Add(new RestoreFailure(path, "it vanished while the target was read"));
                }
                return sub;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Changes.Failures.Add(new RestoreFailure(path, e.Message));
                return null;
            }
        }
    }
}
