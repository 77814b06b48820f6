using Backup.Core.Posix;

namespace Backup.Core.Sources;

/// <summary>
/// Narrows a walk to the directories that may have changed (a watch's dirty set, docs/design.md "Continuous
/// protection"): the walk lists a directory only when the scope says so, and yields one it does not list as a
/// <see cref="TreeEntry.Pruned"/> entry, so that the consumer reuses what it stored for it. Without a scope every
/// directory is listed.
/// </summary>
public interface IWalkScope
{
    /// <summary>
    /// Called for every directory the walk is about to list (the root included), with its descriptor open: a watch is
    /// added here, before the listing, so that every change after the listing is seen.
    /// It must not throw: a directory that cannot be watched is the scope's to handle.
    /// </summary>
    void Entering(WalkDirectory directory, ReadOnlySpan<byte> relativePath);

    /// <summary>
    /// Whether to list the directory at <paramref name="relativePath"/>, whose parent is listed. <paramref name="deep"/>
    /// becomes true when everything below it must be listed too (a directory that is new, or whose watch was lost);
    /// below a deep directory this is not asked.
    /// </summary>
    bool ShouldList(ReadOnlySpan<byte> relativePath, out bool deep);
}
