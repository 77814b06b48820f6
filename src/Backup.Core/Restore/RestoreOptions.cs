namespace Backup.Core.Restore;

/// <summary>How to restore. Immutable.</summary>
public sealed record RestoreOptions
{
    /// <summary>Restore into a target that is not empty, replacing files of the same name. Default false: the target must be empty or absent.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Files extracted at once. Default: one per core, since inflating is CPU-bound and writes are buffered by the kernel.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Patterns (<c>*</c> and <c>?</c>, matched against the whole relative path) of what to restore; empty means
    /// everything. A matching directory brings everything below it; the parents of a match come along.
    /// </summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>
    /// Patterns, in the syntax of <see cref="Include"/>, of what not to restore, even when an include matches it; a
    /// matching directory leaves out everything below it. Empty means nothing is left out.
    /// </summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>What <see cref="Include"/> and <see cref="Exclude"/> select.</summary>
    public RestoreSelection Selection => new(Include, Exclude);

    /// <summary>
    /// Give entries their stored numeric owner and group (formats that store them: the repository). Only root may;
    /// the CLI turns it on when it runs as root, as restic and tar do. Entries then keep their setuid, setgid and sticky
    /// bits too.
    /// </summary>
    public bool RestoreOwners { get; init; }

    /// <summary>
    /// Counts the files and bytes restored, against the plan's totals, for whoever shows progress (a phase
    /// "restoring"); null (the default) counts nothing.
    /// </summary>
    public ProgressCounters? Progress { get; init; }

    /// <summary>Keep setuid, setgid and sticky bits. Default false, as restic and tar do for a non-root restore.</summary>
    public bool KeepSpecialBits { get; init; }
}
