using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// Checks every entry name of an archive before anything is written, and orders the work: directories (parents first),
/// then files (largest first, to balance parallel extraction), then the other names of hard-linked files, then symlinks,
/// created last so that nothing is ever written through a link. Refuses, naming the entry: an absolute path, a '..' component, an empty name, a path that
/// appears twice, and a path below a symlink or a file of the same archive.
/// </summary>
public sealed class RestorePlan
{
    private RestorePlan(List<RestoreEntry> directories, List<RestoreEntry> files, List<HardLink> hardLinks, List<RestoreEntry> symlinks)
    {
        Directories = directories;
        Files = files;
        HardLinks = hardLinks;
        Symlinks = symlinks;
    }

    /// <summary>Linux's PATH_MAX less the terminating NUL: no real symlink has a longer target.</summary>
    public const int MaxLinkTarget = 4095;

    /// <summary>Linux's PATH_MAX less the terminating NUL: the longest entry name, in bytes, that a restore accepts.</summary>
    public const int MaxPath = 4095;

    /// <summary>Linux's NAME_MAX: the longest component, in bytes, that any of its file systems can hold.</summary>
    public const int MaxComponent = 255;

    /// <summary>Directories, parents before children.</summary>
    public IReadOnlyList<RestoreEntry> Directories { get; }

    /// <summary>Regular files to write, largest first: for each hard-link group, only its first path.</summary>
    public IReadOnlyList<RestoreEntry> Files { get; }

    /// <summary>The other paths of hard-link groups, each to be linked to a file of <see cref="Files"/> once it is written.</summary>
    public IReadOnlyList<HardLink> HardLinks { get; }

    /// <summary>Symlinks, to be created after every file.</summary>
    public IReadOnlyList<RestoreEntry> Symlinks { get; }

    /// <summary>
    /// Normalises a raw entry name: '/'-separated components without empty or '.' ones. Throws
    /// <see cref="UnsafeArchiveException"/> for an absolute name, a '..' component, a NUL or nothing left, and, before
    /// any other work on it, for a name longer than <see cref="MaxPath"/> bytes or with a component longer than
    /// <see cref="MaxComponent"/>: no file system could create it, and each later step costs time per component.
    /// </summary>
    public static string Normalize(string rawName)
    {
        ArgumentNullException.ThrowIfNull(rawName);
        CheckLength(rawName);
        var shown = EntryName.Escape(rawName);
        if (rawName.StartsWith('/'))
        {
            throw new UnsafeArchiveException(shown, "is an absolute path");
        }
        if (rawName.Contains('\0', StringComparison.Ordinal))
        {
            throw new UnsafeArchiveException(shown, "contains a NUL byte");
        }
        var parts = rawName.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
        {
            throw new UnsafeArchiveException(shown, "has a '..' component and would escape the target");
        }
        if (parts.Length == 0)
        {
            throw new UnsafeArchiveException(shown, "has an empty name");
        }
        return string.Join('/', parts);
    }

    /// <summary>Refuses a name of more than <see cref="MaxPath"/> bytes, or with a component of more than <see cref="MaxComponent"/>, in one pass.</summary>
    private static void CheckLength(string rawName)
    {
        var bytes = EntryName.Encode(rawName);
        var shown = bytes.Length > 64 ? EntryName.Escape(bytes.AsSpan(0, 64)) + "…" : EntryName.Escape(bytes);
        if (bytes.Length > MaxPath)
        {
            throw new UnsafeArchiveException(shown, $"has a {bytes.Length}-byte name (the limit is {MaxPath}, PATH_MAX)");
        }
        var component = 0;
        foreach (var b in bytes)
        {
            component = b == (byte)'/' ? 0 : component + 1;
            if (component > MaxComponent)
            {
                throw new UnsafeArchiveException(shown, $"has a component of more than {MaxComponent} bytes (NAME_MAX)");
            }
        }
    }

    /// <summary>
    /// Checks and orders <paramref name="entries"/>, whose paths must already be <see cref="Normalize"/>d. With
    /// <paramref name="include"/> patterns, keeps only matching entries, what lies below a matching directory, and the
    /// parent directories of both. Every entry is checked, kept or not. Hard-link groups are formed among the entries
    /// kept, so a group restored in part is written at its first included path and linked at the others.
    /// </summary>
    public static RestorePlan Create(IEnumerable<RestoreEntry> entries, IReadOnlyList<string>? include = null) =>
        Create(entries, new RestoreSelection(include, null));

    /// <summary>
    /// Checks and orders <paramref name="entries"/> as <see cref="Create(IEnumerable{RestoreEntry}, IReadOnlyList{string})"/>
    /// does, keeping only what <paramref name="selection"/> selects and the parent directories of that. Every entry is
    /// checked, kept or not.
    /// </summary>
    public static RestorePlan Create(IEnumerable<RestoreEntry> entries, RestoreSelection selection)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(selection);
        var byPath = new Dictionary<string, RestoreEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (byPath.TryGetValue(entry.Path, out var existing))
            {
                if (existing.Type == FileType.Directory && entry.Type == FileType.Directory)
                {
                    continue;
                }
                throw new UnsafeArchiveException(EntryName.Escape(entry.Path), "appears more than once");
            }
            if (entry.Type == FileType.Symlink && entry.Size > MaxLinkTarget)
            {
                throw new UnsafeArchiveException(EntryName.Escape(entry.Path), $"is a symlink with a {entry.Size}-byte target (the limit is {MaxLinkTarget})");
            }
            byPath.Add(entry.Path, entry);
        }
        foreach (var entry in byPath.Values)
        {
            for (var cut = entry.Path.IndexOf('/', StringComparison.Ordinal); cut > 0; cut = entry.Path.IndexOf('/', cut + 1))
            {
                if (byPath.TryGetValue(entry.Path[..cut], out var parent) && parent.Type != FileType.Directory)
                {
                    var what = parent.Type == FileType.Symlink ? "a symlink" : "a file";
                    throw new UnsafeArchiveException(
                        EntryName.Escape(entry.Path), $"lies below '{EntryName.Escape(parent.Path)}', which is {what} in the same archive");
                }
            }
        }
        if (selection.IsFiltered)
        {
            Select(byPath, selection);
        }
        var directories = byPath.Values.Where(e => e.Type == FileType.Directory).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var files = byPath.Values.Where(e => e.Type == FileType.File).OrderByDescending(e => e.Size).ToList();
        var hardLinks = HardLink.Split(files);
        var symlinks = byPath.Values.Where(e => e.Type == FileType.Symlink).ToList();
        return new RestorePlan(directories, files, hardLinks, symlinks);
    }

    private static void Select(Dictionary<string, RestoreEntry> byPath, RestoreSelection selection)
    {
        var keep = byPath.Keys.Where(selection.IsSelected).ToHashSet(StringComparer.Ordinal);
        foreach (var path in keep.ToList())
        {
            // The parents of what is kept come along (an excluded parent excludes its children, so none is excluded).
            for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
            {
                if (!keep.Add(path[..cut]))
                {
                    break;
                }
            }
        }
        foreach (var path in byPath.Keys.Where(p => !keep.Contains(p)).ToList())
        {
            byPath.Remove(path);
        }
    }
}
