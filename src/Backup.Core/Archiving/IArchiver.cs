namespace Backup.Core.Archiving;

/// <summary>
/// Writes a snapshot of a directory tree somewhere and reads one back. Implementations: <see cref="Zip.ZipArchiver"/>
/// (one zip file per snapshot) and <see cref="Trees.RepositoryArchiver"/> (a deduplicating repository).
/// </summary>
public interface IArchiver
{
    /// <summary>
    /// The absolute path of the archive folder this archiver writes to: the catalog keeps each path's last hash per
    /// destination, so that a new destination gets a first snapshot of every path.
    /// </summary>
    string Destination { get; }

    /// <summary>
    /// Writes a snapshot of <paramref name="sourceRoot"/>. The snapshot becomes visible only once it is complete on disk;
    /// on cancellation or failure nothing is left under a visible name. Source read errors on single entries do not
    /// fail the call: they are listed in <see cref="ArchiveResult.Problems"/>.
    /// </summary>
    /// <param name="sourceRoot">Absolute path of the directory to archive.</param>
    /// <param name="treeHash">The dirhash the caller computed for this tree, kept with the snapshot.</param>
    /// <param name="rules">What the watched path leaves out (validated; the ignore files in the tree always apply).</param>
    /// <param name="cancellationToken">Stops the work; the partial snapshot is removed.</param>
    /// <exception cref="DirectoryNotFoundException">The source is missing or not a directory.</exception>
    /// <exception cref="IOException">The destination could not be written: the snapshot was abandoned.</exception>
    Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, Sources.ExcludeRules rules, CancellationToken cancellationToken);

    /// <summary>Restores the snapshot stored at <paramref name="archive"/> into <paramref name="target"/>.</summary>
    Task<Restore.RestoreResult> RestoreAsync(string archive, string target, Restore.RestoreOptions options, CancellationToken cancellationToken);
}
