using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// One entry a restore plans, as <see cref="TargetReconciler"/> counts it: its kind, and for a file the bytes written
/// for it (0 for every name of a hard-linked file but the group's first by path, whose data is written once).
/// </summary>
/// <param name="Type">A file, a directory or a symlink.</param>
/// <param name="Size">The bytes of a file; 0 for a directory and a symlink.</param>
public readonly record struct PlannedEntry(FileType Type, long Size);
