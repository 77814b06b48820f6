using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Sources;

/// <summary>
/// One entry below a backup root, as the walker saw it.
/// </summary>
/// <param name="RelativePathBytes">The raw path relative to the root, components joined by <c>/</c>.</param>
/// <param name="RelativePath">The same path decoded as UTF-8, or null when some component is not valid UTF-8.</param>
/// <param name="FullPath">
/// The absolute path. When <see cref="RelativePath"/> is null it carries the raw bytes escaped as
/// <see cref="EntryName.Decode"/> makes them. For messages and exclusion: the walk's reads go through
/// <see cref="Parent"/>, never through this path, which a swapped parent directory could lead elsewhere.
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

    /// <summary>The last component of <see cref="RelativePathBytes"/>: the entry's raw name in its directory.</summary>
    public ReadOnlySpan<byte> Name
    {
        get
        {
            var cut = RelativePathBytes.AsSpan().LastIndexOf((byte)'/');
            return RelativePathBytes.AsSpan(cut + 1);
        }
    }

    /// <summary>
    /// The directory the walk listed this entry in, still open while the walk is in it (a consumer that reads the
    /// entry later takes its own reference, <see cref="WalkDirectory.Retain"/>). Null for an entry not made by a walk.
    /// </summary>
    public WalkDirectory? Parent { get; init; }

    /// <summary>
    /// For a directory the walk goes into, the walk's descriptor of it, open until the walk leaves it (see
    /// <see cref="Parent"/>); null otherwise, or when it could not be opened (the walk reports why after yielding it).
    /// </summary>
    public WalkDirectory? Directory { get; init; }

    /// <summary>
    /// A directory the walk did not list because its <see cref="IWalkScope"/> said nothing below it changed: no entry
    /// below it follows, and the consumer reuses what it stored for it.
    /// </summary>
    public bool Pruned { get; init; }

    /// <summary>
    /// Opens this regular file for reading through <see cref="Parent"/>, checked to be the file the walk saw (see
    /// <see cref="WalkDirectory.OpenFile"/>); <paramref name="opened"/> is its <c>fstat</c>. The caller owns the handle.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entry was not made by a walk.</exception>
    public SafeFileHandle OpenFile(out FileStatus opened) =>
        (Parent ?? throw new InvalidOperationException("only an entry of a walk can be opened"))
            .OpenFile(Name, Status, FullPath, out opened);
}
