namespace Backup.Core.Restore;

/// <summary>
/// One part of a restore that <see cref="RestoreExecutor"/> writes before it takes the next, so that a restore holds a
/// few batches rather than the whole listing: the directories to create (parents first, a parent in this batch or an
/// earlier one), the files, hard links and symlinks that lie in them, and the directories whose every entry lies in
/// this batch or an earlier one (<see cref="Finished"/>, deepest first), which get their attributes, mode and time
/// once the batch is written. Whoever makes the batches checks their entries as <see cref="RestorePlan"/> does: no path
/// twice, nothing below a file or symlink, a hard link only to a file of this batch or an earlier one. Not thread-safe;
/// handed over whole.
/// </summary>
public sealed class RestoreBatch
{
    /// <summary>Directories to create, parents before children.</summary>
    public List<RestoreEntry> Directories { get; } = [];

    /// <summary>Regular files to write: for each hard-link group, only the path written first.</summary>
    public List<RestoreEntry> Files { get; } = [];

    /// <summary>Other names of hard-linked files, each linked to a file of this batch or an earlier one.</summary>
    public List<HardLink> HardLinks { get; } = [];

    /// <summary>Symlinks, created after the batch's files.</summary>
    public List<RestoreEntry> Symlinks { get; } = [];

    /// <summary>Directories created by this batch or an earlier one that no later batch writes into, deepest first.</summary>
    public List<RestoreEntry> Finished { get; } = [];

    /// <summary>The chunks (or other pieces) of <see cref="Files"/> that the batch's maker counted, to bound its size.</summary>
    public long Pieces { get; set; }

    /// <summary>True when the batch holds nothing to do.</summary>
    public bool IsEmpty => Directories.Count + Files.Count + HardLinks.Count + Symlinks.Count + Finished.Count == 0;

    /// <summary>
    /// The whole of <paramref name="plan"/> as one batch: every directory is finished by it. What formats that list
    /// everything first (a zip's central directory) restore.
    /// </summary>
    public static RestoreBatch Of(RestorePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var batch = new RestoreBatch();
        batch.Directories.AddRange(plan.Directories);
        batch.Files.AddRange(plan.Files);
        batch.HardLinks.AddRange(plan.HardLinks);
        batch.Symlinks.AddRange(plan.Symlinks);
        batch.Finished.AddRange(plan.Directories.Reverse());
        return batch;
    }
}
