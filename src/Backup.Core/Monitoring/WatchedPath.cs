namespace Backup.Core.Monitoring;

/// <summary>A directory the catalog watches, with what it knows of its backups.</summary>
/// <param name="Path">Absolute, normalised path.</param>
/// <param name="AddedAt">When it was added.</param>
/// <param name="LastHash">
/// The dirhash recorded at the last snapshot of this path in the destination it was asked for, or null before the
/// first one there (or when no destination was named).
/// </param>
/// <param name="LastBackup">Time of the newest snapshot in any destination, or null.</param>
/// <param name="SnapshotCount">Snapshots recorded for this path, in every destination.</param>
public sealed record WatchedPath(string Path, DateTimeOffset AddedAt, string? LastHash, DateTimeOffset? LastBackup, long SnapshotCount)
{
    /// <summary>What the path leaves out of its snapshots (validated when added); <see cref="Sources.ExcludeRules.None"/> by default.</summary>
    public Sources.ExcludeRules Rules { get; init; } = Sources.ExcludeRules.None;
}
