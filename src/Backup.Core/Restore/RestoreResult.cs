namespace Backup.Core.Restore;

/// <summary>What a restore wrote: <see cref="Files"/> counts every name of a hard-linked file, <see cref="Bytes"/> the data written once.</summary>
public sealed record RestoreResult(long Files, long Directories, long Symlinks, long Bytes)
{
    /// <summary>
    /// Entries left out because their content could not be read from the archive, sorted by path; the rest was
    /// restored. Not empty means the restore is incomplete (the CLI exits 1).
    /// </summary>
    public IReadOnlyList<RestoreFailure> Failures { get; init; } = [];

    /// <summary>What could not be given back but did not fail the restore (an extended attribute not permitted, for example).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
