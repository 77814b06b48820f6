using Backup.Core.Sources;

namespace Backup.Core.Archiving;

/// <summary>What one archive run wrote.</summary>
/// <param name="Archive">The snapshot's location (for zips, the absolute path of the file).</param>
/// <param name="Info">The metadata stored with the snapshot.</param>
/// <param name="Problems">Source entries that could not be read or changed while read; they are not in the snapshot.</param>
public sealed record ArchiveResult(string Archive, SnapshotInfo Info, IReadOnlyList<TreeProblem> Problems)
{
    /// <summary>True when every entry of the tree is in the snapshot.</summary>
    public bool Complete => Problems.Count == 0;

    /// <summary>
    /// Bytes the snapshot added to its destination: the zip file's size, or in a repository the packed size of the new
    /// chunks (deduplicated and compressed). Null when the archiver does not say.
    /// </summary>
    public long? StoredBytes { get; init; }
}
