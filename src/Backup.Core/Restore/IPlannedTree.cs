namespace Backup.Core.Restore;

/// <summary>
/// What <see cref="TargetReconciler"/> compares a target with: the entries a restore plans, one directory at a time,
/// so that an implementation need not hold them all (<see cref="Snapshots.SnapshotPlannedTree"/> holds only the
/// snapshot's directories; <see cref="TargetReconciler(RestorePlan, RestoreSelection)"/> wraps a whole
/// <see cref="RestorePlan"/>). Asked by one walk at a time.
/// </summary>
public interface IPlannedTree
{
    /// <summary>Everything planned, each entry counted once as <see cref="PlannedEntry"/> counts it.</summary>
    EntryTally Total { get; }

    /// <summary>
    /// The entries planned directly in <paramref name="directory"/> (a '/'-joined relative path, "" for the target), by
    /// name; empty when nothing is planned there. Throws what reading the plan throws (<see cref="InvalidDataException"/>).
    /// </summary>
    ValueTask<IReadOnlyDictionary<string, PlannedEntry>> ChildrenAsync(string directory, CancellationToken cancellationToken);
}
