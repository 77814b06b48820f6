using Backup.Core.Posix;

namespace Backup.Core.Find;

/// <summary>An entry of a snapshot that a <see cref="PathPattern"/> matched.</summary>
/// <param name="Path">The absolute path it had in its source; names that are not UTF-8 as <see cref="EntryName.Decode"/> carries them.</param>
/// <param name="Type">File, directory or symlink (or other: a FIFO, a device).</param>
/// <param name="Permissions">Permission bits (07777).</param>
/// <param name="Size">Content size of a file (0 for others, a symlink's target length in a repository).</param>
/// <param name="MtimeNs">Modification time, nanoseconds since the epoch.</param>
public sealed record FoundEntry(string Path, FileType Type, uint Permissions, long Size, long MtimeNs);
