namespace Backup.Core.Restore;

/// <summary>
/// What a restore does, or would do, to what its target holds: <see cref="TargetReconciler"/> fills it while it walks
/// the target, then it is only read.
/// </summary>
public sealed class TargetChanges
{
    /// <summary>Entries of the plan that the target does not have: they are created.</summary>
    public EntryTally Created { get; } = new();

    /// <summary>Files and symlinks of the plan whose name the target already holds with a file or symlink: they are replaced (with overwrite).</summary>
    public EntryTally Overwritten { get; } = new();

    /// <summary>Directories of the plan that the target has already: they are kept, and get the snapshot's mode and time.</summary>
    public long ExistingDirectories { get; internal set; }

    /// <summary>Entries of the target that the snapshot (or its selected part) does not have, or has as another kind: removed with delete.</summary>
    public EntryTally Deleted { get; } = new();

    /// <summary>Entries of the target that the restore does not touch: excluded, not included, or kept because delete was not asked for.</summary>
    public EntryTally LeftAlone { get; } = new();

    /// <summary>The relative paths of <see cref="Deleted"/>, sorted: a directory after what was in it.</summary>
    public List<string> DeletedPaths { get; } = [];

    /// <summary>
    /// Entries of the plan whose name the target holds with another kind (a directory where the snapshot has a file, or
    /// the other way round), without delete: the restore would fail on them.
    /// </summary>
    public List<string> InTheWay { get; } = [];

    /// <summary>Entries that could not be looked at or removed (permission denied, replaced meanwhile); they were left as they are.</summary>
    public List<RestoreFailure> Failures { get; } = [];
}
