using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// A whole <see cref="RestorePlan"/> as an <see cref="IPlannedTree"/>: every planned path, grouped by its parent
/// directory (a plan need not list a file's parents: a zip may not). Holds the plan's paths, so it grows with the
/// number of entries; used for zip archives and for filtered restores of a snapshot. Not thread-safe to build; then only read.
/// </summary>
public sealed class RestorePlanTree : IPlannedTree
{
    private static readonly IReadOnlyDictionary<string, PlannedEntry> s_none = new Dictionary<string, PlannedEntry>();
    private readonly Dictionary<string, Dictionary<string, PlannedEntry>> _byParent = new(StringComparer.Ordinal);

    /// <summary>Groups the paths of <paramref name="plan"/>.</summary>
    public RestorePlanTree(RestorePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var dir in plan.Directories)
        {
            Add(dir.Path, new PlannedEntry(FileType.Directory, 0));
        }
        foreach (var file in plan.Files)
        {
            Add(file.Path, new PlannedEntry(FileType.File, file.Size));
        }
        foreach (var link in plan.HardLinks)
        {
            Add(link.Entry.Path, new PlannedEntry(FileType.File, 0)); // its data is written once, with the file it links to
        }
        foreach (var link in plan.Symlinks)
        {
            Add(link.Path, new PlannedEntry(FileType.Symlink, 0));
        }
        foreach (var children in _byParent.Values)
        {
            foreach (var entry in children.Values)
            {
                Total.Add(entry.Type, entry.Size);
            }
        }
    }

    /// <inheritdoc/>
    public EntryTally Total { get; } = new();

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<string, PlannedEntry>> ChildrenAsync(string directory, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_byParent.TryGetValue(directory, out var children) ? children : s_none);

    private void Add(string path, PlannedEntry entry)
    {
        var cut = path.LastIndexOf('/');
        var parent = cut < 0 ? "" : path[..cut];
        if (!_byParent.TryGetValue(parent, out var children))
        {
            children = new Dictionary<string, PlannedEntry>(StringComparer.Ordinal);
            _byParent.Add(parent, children);
        }
        children[path[(cut + 1)..]] = entry;
    }
}
