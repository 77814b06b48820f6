namespace Backup.Core.Catalog;

/// <summary>A directory the catalog watches, with what it knows of its backups.</summary>
/// <param name="Path">Absolute, normalised path.</param>
/// <param name="AddedAt">When it was added.</param>
/// <param name="LastHash">The dirhash recorded at the last backup, or null before the first.</param>
/// <param name="LastBackup">Time of the newest snapshot, or null.</param>
/// <param name="SnapshotCount">Snapshots recorded for this path.</param>
public sealed record WatchedPath(string Path, DateTimeOffset AddedAt, string? LastHash, DateTimeOffset? LastBackup, long SnapshotCount);
