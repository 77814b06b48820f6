using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// One entry to restore, whatever the format it comes from. <see cref="Path"/> is normalised and checked by
/// <see cref="RestorePlan"/>: relative, '/'-separated, no empty, '.' or '..' component.
/// </summary>
/// <param name="Path">The checked relative path.</param>
/// <param name="Type">File, directory or symlink.</param>
/// <param name="Permissions">Permission bits (07777).</param>
/// <param name="MtimeNs">Modification time, nanoseconds since the epoch.</param>
/// <param name="Size">Content size of a file.</param>
/// <param name="Source">The format's own handle on the entry (for zips, the central-directory record).</param>
public sealed record RestoreEntry(string Path, FileType Type, uint Permissions, long MtimeNs, long Size, object Source);
