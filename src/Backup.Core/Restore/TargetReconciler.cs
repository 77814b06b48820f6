using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// Compares a restore target with what a restore plans (<see cref="IPlannedTree"/>, one directory at a time, so that
/// it holds the plan of the directories being walked, not the whole): what the restore creates, replaces and leaves
/// alone, and, with delete, removes what the snapshot (or its selected part) does not have, so that the target becomes equal to it.
/// The target is walked through directory descriptors only: each directory is opened from its parent with
/// <c>O_NOFOLLOW|O_DIRECTORY</c> and entries are removed with <c>unlinkat</c> relative to it, so a symlink in the target
/// is removed itself, never followed, and a directory swapped for a symlink meanwhile is refused (reported in
/// <see cref="TargetChanges.Failures"/>) instead of leading outside. The target itself is never removed; an entry that
/// <see cref="RestoreSelection.IsExcluded"/> names is never removed, nor what lies below it; a directory is removed
/// only once empty. Not thread-safe: one walk at a time.
/// </summary>
public sealed class TargetReconciler
{
    private readonly IPlannedTree _planned;
    private readonly RestoreSelection _selection;

    /// <summary>
    /// Prepares to compare targets with <paramref name="plan"/>, made with <paramref name="selection"/>. Holds every
    /// planned path (zip archives, and filtered restores of a snapshot); <see cref="TargetReconciler(IPlannedTree, RestoreSelection)"/>
    /// with a <see cref="Snapshots.SnapshotPlannedTree"/> holds only the snapshot's directories.
    /// </summary>
    public TargetReconciler(RestorePlan plan, RestoreSelection selection)
        : this(new RestorePlanTree(plan), selection)
    {
    }

    /// <summary>
    /// Prepares to compare targets with <paramref name="planned"/>, made with <paramref name="selection"/>: the directories
    /// of a target are compared one at a time with what <see cref="IPlannedTree.ChildrenAsync"/> plans in them.
    /// </summary>
    public TargetReconciler(IPlannedTree planned, RestoreSelection selection)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(selection);
        _planned = planned;
        _selection = selection;
    }

    /// <summary>Called with the relative path of each directory once it is listed, before anything in it is removed (a test's moment to attack).</summary>
    internal Action<string>? AfterListing { get; init; }

    /// <summary>
    /// What a restore into <paramref name="target"/> would do, writing nothing. Throws <see cref="IOException"/>, as the
    /// restore would, when the target is not a directory, or is not empty and <paramref name="overwrite"/> is false.
    /// </summary>
    public async Task<TargetChanges> PreviewAsync(string target, bool overwrite, bool delete, CancellationToken cancellationToken)
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
            changes.Created.AddRemainder(_planned.Total, new EntryTally());
            return changes;
        }
        using var handle = DirectoryHandle.Open(root);
        if (!overwrite && !handle.IsEmpty(root))
        {
            throw new IOException($"restore target is not empty: {root} (use --overwrite to restore into it)");
        }
        return await WalkAsync(handle, root, delete, apply: false, cancellationToken);
    }

    /// <summary>
    /// Removes from <paramref name="target"/> what the plan does not have (see the type's rules) and what stands where the
    /// plan has another kind of entry, and returns what it did and what the restore that follows will do. A target that
    /// does not exist has nothing to remove. An entry that cannot be removed is listed in <see cref="TargetChanges.Failures"/>
    /// and the others are still removed.
    /// </summary>
    public async Task<TargetChanges> DeleteExtrasAsync(string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (!Directory.Exists(root))
        {
            var changes = new TargetChanges();
            changes.Created.AddRemainder(_planned.Total, new EntryTally());
            return changes;
        }
        using var handle = DirectoryHandle.Open(root);
        return await WalkAsync(handle, root, delete: true, apply: true, cancellationToken);
    }

    private async Task<TargetChanges> WalkAsync(DirectoryHandle root, string rootPath, bool delete, bool apply, CancellationToken cancellationToken)
    {
        var walk = new Pass(this, rootPath, delete, apply, cancellationToken);
        await walk.VisitAsync(root, "");
        // What the plan has and the target does not (nor in the way) is created.
        walk.Changes.Created.AddRemainder(_planned.Total, walk.Present);
        walk.Changes.DeletedPaths.Sort(StringComparer.Ordinal);
        return walk.Changes;
    }

    /// <summary>One walk of one target.</summary>
    private sealed class Pass(TargetReconciler owner, string rootPath, bool delete, bool apply, CancellationToken cancellationToken)
    {
        public TargetChanges Changes { get; } = new();

        /// <summary>Planned entries the target holds with the same kind of entry, or in the way without delete (not created).</summary>
        public EntryTally Present { get; } = new();

        public async Task VisitAsync(DirectoryHandle directory, string relative)
        {
            // One directory's plan at a time (and its ancestors' while below them), never the whole of it.
            var children = await owner._planned.ChildrenAsync(relative, cancellationToken);
            foreach (var (entry, name, path) in List(directory, relative))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var type = entry.Status.Type;
                if (children.TryGetValue(name, out var planned))
                {
                    await VisitPlannedAsync(directory, name, path, type, entry.Status.Size, planned);
                }
                else if (owner._selection.IsExcluded(path))
                {
                    Changes.LeftAlone.Add(type, entry.Status.Size);
                }
                else if (!owner._selection.IsSelected(path))
                {
                    // Not included; what lies below may be (an include such as '*.txt'), unless it is excluded.
                    await VisitOrLeaveAsync(directory, name, path, type, entry.Status.Size);
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

        private async Task VisitPlannedAsync(DirectoryHandle directory, string name, string path, FileType type, long size, PlannedEntry planned)
        {
            var isDirectory = type == FileType.Directory;
            if ((planned.Type == FileType.Directory) == isDirectory)
            {
                Present.Add(planned.Type, planned.Size);
                if (isDirectory)
                {
                    Changes.ExistingDirectories++;
                    await DescendAsync(directory, name, path);
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
                Present.Add(planned.Type, planned.Size);
                Changes.InTheWay.Add(path);
            }
        }

        private async Task VisitOrLeaveAsync(DirectoryHandle directory, string name, string path, FileType type, long size)
        {
            if (type == FileType.Directory && owner._selection.Include.Count > 0)
            {
                await DescendAsync(directory, name, path);
            }
            else
            {
                Changes.LeftAlone.Add(type, size);
            }
        }

        private async Task DescendAsync(DirectoryHandle directory, string name, string path)
        {
            using var sub = Open(directory, name, path);
            if (sub is not null)
            {
                await VisitAsync(sub, path);
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
