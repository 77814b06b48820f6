using Backup.Core.Archiving;

namespace Backup.Core.Monitoring;

/// <summary>What one check did with one watched path.</summary>
/// <param name="Path">The watched path.</param>
/// <param name="Status">Unchanged, archived or failed.</param>
/// <param name="Result">The snapshot written, when archived.</param>
/// <param name="SnapshotId">The catalog id of that snapshot.</param>
/// <param name="Error">Why it failed, when failed: a message naming the problem.</param>
public sealed record PathOutcome(string Path, PathStatus Status, ArchiveResult? Result = null, long? SnapshotId = null, string? Error = null);
