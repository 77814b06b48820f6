namespace Backup.Core.Catalog;

/// <summary>One snapshot row of the catalog.</summary>
/// <param name="Id">Catalog id, stable for the life of the catalog.</param>
/// <param name="Path">The source directory.</param>
/// <param name="Time">When the snapshot was started.</param>
/// <param name="Files">Regular files stored.</param>
/// <param name="Bytes">Bytes of file content stored.</param>
/// <param name="Archive">Absolute path of the archive file.</param>
/// <param name="Hash">The dirhash of the tree.</param>
/// <param name="Complete">False when some entries could not be read.</param>
public sealed record SnapshotRecord(long Id, string Path, DateTimeOffset Time, long Files, long Bytes, string Archive, string Hash, bool Complete);
