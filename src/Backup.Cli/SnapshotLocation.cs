namespace Backup.Cli;

/// <summary>Where a snapshot named on the command line lives, before it is opened.</summary>
/// <param name="Reference">What the user wrote.</param>
/// <param name="Root">The repository or zip folder that holds it.</param>
/// <param name="ZipArchive">For a zip snapshot, its archive file; null for a repository snapshot.</param>
internal sealed record SnapshotLocation(SnapshotReference Reference, string Root, string? ZipArchive)
{
    /// <summary>True when the snapshot is in a repository (open <see cref="Root"/> and find it there).</summary>
    public bool InRepository => ZipArchive is null;
}
