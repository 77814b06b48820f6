namespace Backup.Cli;

/// <summary>Where a snapshot named on the command line lives, before it is opened.</summary>
/// <param name="Reference">What the user wrote.</param>
/// <param name="Root">The repository or zip folder that holds it.</param>
/// <param name="ZipArchive">For a zip snapshot, its archive file; null for a repository snapshot.</param>
internal sealed record SnapshotLocation(SnapshotReference Reference, string Root, string? ZipArchive)
{
    /// <summary>True when the snapshot is in a repository (open <see cref="Root"/> and find it there).</summary>
    public bool InRepository => ZipArchive is null;

    /// <summary>This location, when it is a repository snapshot; else the error that <paramref name="command"/> reads only those.</summary>
    public SnapshotLocation InRepositoryFor(string command) => InRepository
        ? this
        : throw new Backup.Core.BackupException($"{command} works on repository snapshots only: snapshot '{Reference.Text}' is the zip archive {Formatting.Path(ZipArchive!)} (list it with: unzip -l ARCHIVE)");
}
