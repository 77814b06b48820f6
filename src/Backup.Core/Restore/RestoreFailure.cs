namespace Backup.Core.Restore;

/// <summary>An entry that could not be restored because the archive's copy of it is damaged or unreadable; it was left out.</summary>
/// <param name="Path">The entry's relative path (may carry raw bytes, see <see cref="Posix.EntryName.Escape(string)"/>).</param>
/// <param name="Reason">What the archive said (a failed checksum, a missing pack).</param>
public sealed record RestoreFailure(string Path, string Reason);
