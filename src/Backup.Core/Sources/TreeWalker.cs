using Backup.Core.Posix;

namespace Backup.Core.Sources;

/// <summary>
/// Walks a directory tree depth-first, in a fixed order (each directory's entries sorted by their name bytes), never
/// following symlinks. The root itself is not yielded. A subdirectory that cannot be read is reported through the
/// problem callback and the walk goes on. An entry whose name is not valid UTF-8 is yielded with a null
/// <see cref="TreeEntry.RelativePath"/>; a directory with such a name is descended into only when asked
/// (<c>undecodableDirectories</c>), since the zip format cannot store what lies below it.
/// The walk goes through directory descriptors (<see cref="WalkDirectory"/>): the root is opened once, and each
/// subdirectory with <c>openat(O_NOFOLLOW)</c> relative to the directory that listed it and checked to be the inode the
/// listing saw, so that a directory swapped for a symlink while the walk runs never leads it out of the tree. It holds
/// the descriptors of the current path only, at most <see cref="WalkDirectory.MaxOpen"/>; a deeper directory is
/// reported and left out. <see cref="ExcludeRules"/> (and the ignore files in the tree) drop entries as each directory
/// is listed (see <see cref="ExcludeFilter"/>): an excluded entry is never yielded, an excluded directory never opened.
/// With <see cref="ExcludeRules.OneFileSystem"/> a directory on another device than the root is yielded, not listed.
/// </summary>
public static class TreeWalker
{
    /// <summary>
    /// Yields every entry below <paramref name="root"/>. Throws <see cref="DirectoryNotFoundException"/> when the root
    /// is missing or not a directory, and the I/O error when the root itself cannot be read. The root's descriptor is
    /// closed when the enumeration is disposed (a <c>foreach</c> does it).
    /// </summary>
    /// <param name="root">An absolute path to a directory.</param>
    /// <param name="onProblem">Called, on the enumerating thread, for each part of the tree that could not be read.</param>
    /// <param name="cancellationToken">Checked between directories and entries.</param>
    /// <param name="excluded">Absolute paths left out of the walk with everything below them (the archive folder and catalog, when they lie inside the tree).</param>
    /// <param name="undecodableDirectories">Also walk below directories whose name (or a parent's) is not valid UTF-8.</param>
    /// <param name="scope">Which directories to list (see <see cref="IWalkScope"/>); null lists every one.</param>
    /// <param name="rules">What the watched path leaves out (validated); null applies no rule and reads no ignore file.</param>
    public static IEnumerable<TreeEntry> Walk(
        string root, Action<TreeProblem> onProblem, CancellationToken cancellationToken, IReadOnlySet<string>? excluded = null,
        bool undecodableDirectories = false, IWalkScope? scope = null, ExcludeRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(onProblem);
        var directory = WalkDirectory.OpenRoot(root);
        List<DirectoryReader.Entry> entries;
        var deep = true;
        var filter = rules is null ? null : new ExcludeFilter(rules, onProblem);
        ExcludeFilter.Layers? layers;
        try
        {
            if (scope is not null)
            {
                _ = scope.ShouldList([], out deep);
                scope.Entering(directory, []);
            }
            entries = directory.List();
            layers = filter?.Filter(directory, [], "", null, entries);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
        var walk = new WalkSettings(onProblem, excluded ?? s_none, undecodableDirectories, scope, filter, rules is { OneFileSystem: true } ? directory.Status.Device : null);
        return WalkFrom(walk, directory, entries, layers, deep, cancellationToken);
    }

    /// <summary>What stays the same through one walk.</summary>
    private sealed record WalkSettings(
        Action<TreeProblem> OnProblem, IReadOnlySet<string> Excluded, bool UndecodableDirectories, IWalkScope? Scope, ExcludeFilter? Filter, ulong? Device);

    private static readonly HashSet<string> s_none = [];

    private static IEnumerable<TreeEntry> WalkFrom(
        WalkSettings walk, WalkDirectory root, List<DirectoryReader.Entry> rootEntries, ExcludeFilter.Layers? rootLayers, bool rootDeep, CancellationToken cancellationToken)
    {
        var (onProblem, excluded, undecodableDirectories, scope, filter, device) = walk;
        var maxOpen = WalkDirectory.MaxOpen();
        var stack = new Stack<Frame>();
        stack.Push(new Frame(root, [], "", rootEntries, deep: scope is null || rootDeep) { MatchPath = "", Layers = rootLayers });
        WalkDirectory? opened = null;
        try
        {
            while (stack.Count > 0)
            {
                var frame = stack.Peek();
                if (frame.Index >= frame.Entries.Count)
                {
                    stack.Pop().Directory.Dispose();
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
                var full = Path.Join(frame.Directory.Path, decoded ? name : EntryName.Decode(raw.Name));
                if (excluded.Count > 0 && excluded.Contains(full))
                {
                    continue;
                }
                Exception? failure = null;
                if (raw.Status.Type == FileType.Directory && (rel is not null || undecodableDirectories))
                {
                    // Opened before the entry is yielded, so that a consumer gets the directory the walk goes into.
                    (opened, failure) = Open(frame.Directory, raw, full, stack.Count < maxOpen ? null : maxOpen);
                }
                if (opened is not null && device is { } rootDevice && raw.Status.Device != rootDevice)
                {
                    // --one-file-system: the mount point itself is kept, as restic keeps it, but nothing below it.
                    yield return new TreeEntry(relBytes, rel, full, raw.Status, raw.LinkTarget) { Parent = frame.Directory, Directory = opened };
                    opened.Dispose();
                    opened = null;
                    continue;
                }
                var deep = frame.Deep;
                if (opened is not null && !deep && !scope!.ShouldList(relBytes, out deep))
                {
                    // Not listed: the consumer reuses what it stored for it (and may read the directory's own attributes).
                    yield return new TreeEntry(relBytes, rel, full, raw.Status, raw.LinkTarget) { Parent = frame.Directory, Directory = opened, Pruned = true };
                    opened.Dispose();
                    opened = null;
                    continue;
                }
                yield return new TreeEntry(relBytes, rel, full, raw.Status, raw.LinkTarget) { Parent = frame.Directory, Directory = opened };
                if (failure is not null)
                {
                    // Reported after the entry, so that the consumer counts the problem below the directory.
                    onProblem(new TreeProblem(EntryName.Escape(relBytes), TreeProblem.ReasonOf(failure)));
                }
                if (opened is null)
                {
                    continue;
                }
                var below = opened;
                opened = null;
                List<DirectoryReader.Entry> children;
                var matchPath = filter is null ? null : ExcludeFilter.ChildPath(frame.MatchPath!, raw.Name);
                ExcludeFilter.Layers? layers = null;
                try
                {
                    scope?.Entering(below, relBytes);
                    children = below.List();
                    layers = filter?.Filter(below, relBytes, matchPath!, frame.Layers, children);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    below.Dispose();
                    onProblem(new TreeProblem(EntryName.Escape(relBytes), TreeProblem.ReasonOf(e)));
                    continue;
                }
                stack.Push(new Frame(below, relBytes, rel, children, deep) { MatchPath = matchPath, Layers = layers });
            }
        }
        finally
        {
            opened?.Dispose();
            while (stack.Count > 0)
            {
                stack.Pop().Directory.Dispose();
            }
        }
    }

    /// <summary>Opens a listed subdirectory, or says why not; <paramref name="tooDeep"/> is the limit already reached, if it is.</summary>
    private static (WalkDirectory? Opened, Exception? Failure) Open(WalkDirectory parent, DirectoryReader.Entry raw, string full, int? tooDeep)
    {
        if (tooDeep is { } limit)
        {
            return (null, new IOException($"more than {limit} directories deep (half the open-file limit); left out: {full}"));
        }
        try
        {
            return (parent.OpenDirectory(raw.Name, raw.Status, full), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e);
        }
    }

    /// <summary>A raw relative path and a name below it joined by <c>/</c> (the name alone below the root).</summary>
    internal static byte[] Join(byte[] prefix, byte[] name)
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

    private sealed class Frame(WalkDirectory directory, byte[] relativeBytes, string? relativePath, List<DirectoryReader.Entry> entries, bool deep)
    {
        /// <summary>Everything below is listed, without asking the scope.</summary>
        public bool Deep { get; } = deep;

        public WalkDirectory Directory { get; } = directory;
        public byte[] RelativeBytes { get; } = relativeBytes;
        public string? RelativePath { get; } = relativePath;
        public List<DirectoryReader.Entry> Entries { get; } = entries;
        public int Index { get; set; }

        /// <summary>With exclude rules: the directory's path as patterns see it, and the ignore files that apply below it.</summary>
        public string? MatchPath { get; init; }

        public ExcludeFilter.Layers? Layers { get; init; }
    }
}
