using Backup.Core.Posix;

namespace Backup.Core.Sources;

/// <summary>
/// Walks a directory tree depth-first, in a fixed order (each directory's entries sorted by their name bytes), never
/// following symlinks. The root itself is not yielded. A subdirectory that cannot be read is reported through the
/// problem callback and the walk goes on. An entry whose name is not valid UTF-8 is yielded with a null
/// <see cref="TreeEntry.RelativePath"/>; a directory with such a name is descended into only when asked
/// (<c>undecodableDirectories</c>), since the zip format cannot store what lies below it.
/// </summary>
public static class TreeWalker
{
    /// <summary>
    /// Yields every entry below <paramref name="root"/>. Throws <see cref="DirectoryNotFoundException"/> when the root
    /// is missing or not a directory, and the I/O error when the root itself cannot be read.
    /// </summary>
    /// <param name="root">An absolute path to a directory.</param>
    /// <param name="onProblem">Called, on the enumerating thread, for each part of the tree that could not be read.</param>
    /// <param name="cancellationToken">Checked between directories and entries.</param>
    /// <param name="excluded">Absolute paths left out of the walk with everything below them (the archive folder and catalog, when they lie inside the tree).</param>
    /// <param name="undecodableDirectories">Also walk below directories whose name (or a parent's) is not valid UTF-8.</param>
    public static IEnumerable<TreeEntry> Walk(
        string root, Action<TreeProblem> onProblem, CancellationToken cancellationToken, IReadOnlySet<string>? excluded = null,
        bool undecodableDirectories = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(onProblem);
        var rootStatus = PosixFile.TryLstat(root);
        if (rootStatus is null)
        {
            throw new DirectoryNotFoundException($"directory does not exist: {root}");
        }
        if (rootStatus.Value.Type != FileType.Directory)
        {
            throw new DirectoryNotFoundException($"not a directory: {root}");
        }
        return WalkFrom(root, DirectoryReader.Read(root), onProblem, excluded ?? s_none, undecodableDirectories, cancellationToken);
    }

    private static readonly HashSet<string> s_none = [];

    private static IEnumerable<TreeEntry> WalkFrom(
        string root, List<DirectoryReader.Entry> rootEntries, Action<TreeProblem> onProblem, IReadOnlySet<string> excluded,
        bool undecodableDirectories, CancellationToken cancellationToken)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame(root, [], "", rootEntries));
        while (stack.Count > 0)
        {
            var frame = stack.Peek();
            if (frame.Index >= frame.Entries.Count)
            {
                stack.Pop();
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var raw = frame.Entries[frame.Index++];
            var relBytes = Join(frame.RelativeBytes, raw.Name);
            string? rel = null;
            var decoded = EntryName.TryDecode(raw.Name, out var name);
            if (frame.RelativePath is not null && decoded)
            {
                rel = frame.RelativePath.Length == 0 ? name : frame.RelativePath + "/" + name;
            }
            var full = Path.Join(frame.FullPath, decoded ? name : EntryName.Decode(raw.Name));
            if (excluded.Count > 0 && excluded.Contains(full))
            {
                continue;
            }
            var entry = new TreeEntry(relBytes, rel, full, raw.Status, raw.LinkTarget);
            yield return entry;
            if (entry.Type != FileType.Directory || (rel is null && !undecodableDirectories))
            {
                continue;
            }
            List<DirectoryReader.Entry> children;
            try
            {
                children = DirectoryReader.Read(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                onProblem(new TreeProblem(entry.DisplayPath, TreeProblem.ReasonOf(e)));
                continue;
            }
            stack.Push(new Frame(full, relBytes, rel, children));
        }
    }


    private static byte[] Join(byte[] prefix, byte[] name)
    {
        if (prefix.Length == 0)
        {
            return name;
        }
        var joined = new byte[prefix.Length + 1 + name.Length];
        prefix.CopyTo(joined, 0);
        joined[prefix.Length] = (byte)'/';
        name.CopyTo(joined, prefix.Length + 1);
        return joined;
    }

    private sealed class Frame(string fullPath, byte[] relativeBytes, string? relativePath, List<DirectoryReader.Entry> entries)
    {
        public string FullPath { get; } = fullPath;
        public byte[] RelativeBytes { get; } = relativeBytes;
        public string? RelativePath { get; } = relativePath;
        public List<DirectoryReader.Entry> Entries { get; } = entries;
        public int Index { get; set; }
    }
}
