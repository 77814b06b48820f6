namespace Backup.Core.Restore;

/// <summary>What a restore wrote.</summary>
public sealed record RestoreResult(long Files, long Directories, long Symlinks, long Bytes);
