using Backup.Core.Posix;

namespace Backup.Core.Sources;

/// <summary>
/// One entry below a backup root, as the walker saw it.
/// </summary>
/// <param name="RelativePathBytes">The raw path relative to the root, components joined by <c>/</c>.</param>
/// <param name="RelativePath">The same path decoded as UTF-8, or null when some component is not valid UTF-8.</param>
/// <param name="FullPath">
/// The absolute path. When <see cref="RelativePath"/> is null it carries the raw bytes escaped as
/// <see cref="EntryName.Decode"/> makes them: only <see cref="PosixFile"/> calls (not .NET's file APIs) open it.
/// </param>
/// <param name="Status">The entry's <c>lstat</c>.</param>
/// <param name="LinkTarget">A symlink's raw target; null for other types.</param>
public sealed record TreeEntry(
    byte[] RelativePathBytes, string? RelativePath, string FullPath, FileStatus Status, byte[]? LinkTarget)
{
    /// <summary>The entry's type.</summary>
    public FileType Type => Status.Type;

    /// <summary>The relative path in printable form (invalid bytes and control characters escaped).</summary>
    public string DisplayPath => EntryName.Escape(RelativePathBytes);
}
