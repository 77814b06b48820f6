using Backup.Core.Posix;

namespace Backup.Core.Sources;

/// <summary>
/// Applies <see cref="ExcludeRules"/> during one walk (<see cref="TreeWalker"/>): for each directory listed, it drops the
/// children the rules leave out, before any is yielded or opened, so that an excluded directory costs nothing below it.
/// In order: a cache tag or an <c>--exclude-if-present</c> name keeps only that file; the directory's
/// <see cref="ExcludeRules.IgnoreFileName"/> is read (through the directory's descriptor) and joins the ignore files
/// above; then each child is matched against the rules' patterns, which decide first, then the ignore files from the
/// deepest up (the first that matches decides), then the size limit. Not thread-safe: one per walk.
/// </summary>
internal sealed class ExcludeFilter
{
    /// <summary>The first bytes of a valid cache tag (https://bford.info/cachedir/).</summary>
    private static ReadOnlySpan<byte> CacheSignature => "Signature: 8a477f597d28d172789f06886806bc55"u8;

    /// <summary>An ignore file larger than this is not read (it would be no list of patterns a person wrote).</summary>
    private const int MaxIgnoreFile = 1 << 20;

    private static readonly byte[] s_ignoreName = EntryName.Encode(ExcludeRules.IgnoreFileName);
    private static readonly byte[] s_cacheTag = EntryName.Encode(ExcludeRules.CacheTagName);

    private readonly ExcludeRules _rules;
    private readonly IgnorePatterns _patterns;
    private readonly byte[][] _ifPresent;
    private readonly Action<TreeProblem> _onProblem;

    public ExcludeFilter(ExcludeRules rules, Action<TreeProblem> onProblem)
    {
        _rules = rules;
        _patterns = IgnorePatterns.Parse(rules.Patterns, "--exclude");
        _ifPresent = [.. rules.ExcludeIfPresent.Select(EntryName.Encode)];
        _onProblem = onProblem;
    }

    /// <summary>The ignore files that apply in one directory: its own (if any) over its parent's.</summary>
    internal sealed record Layers(IgnorePatterns Patterns, int BaseLength, Layers? Parent);

    /// <summary>
    /// Filters the <paramref name="children"/> of <paramref name="directory"/> in place. <paramref name="matchPath"/> is
    /// the directory's path relative to the root as patterns see it (empty for the root); returns the ignore files
    /// that apply to its children.
    /// </summary>
    public Layers? Filter(WalkDirectory directory, byte[] relativeBytes, string matchPath, Layers? above, List<DirectoryReader.Entry> children)
    {
        if (IsTagged(directory, children, out var tags))
        {
            children.RemoveAll(c => !tags.Exists(t => ReferenceEquals(t, c)));
        }
        var layers = above;
        var ignoreFile = children.Find(c => c.Name.AsSpan().SequenceEqual(s_ignoreName) && c.Status.Type == FileType.File);
        if (ignoreFile is not null && ReadIgnoreFile(directory, relativeBytes, ignoreFile) is { Count: > 0 } own)
        {
            layers = new Layers(own, matchPath.Length, above);
        }
        if (_patterns.Count == 0 && layers is null && _rules.ExcludeLargerThan is null)
        {
            return layers;
        }
        children.RemoveAll(c => Excludes(matchPath, c, layers));
        return layers;
    }

    /// <summary>The path of a child as patterns see it: <paramref name="parent"/>'s, a '/', and the decoded name.</summary>
    public static string ChildPath(string parent, ReadOnlySpan<byte> name) =>
        parent.Length == 0 ? EntryName.Decode(name) : parent + "/" + EntryName.Decode(name);

    private bool Excludes(string parent, DirectoryReader.Entry child, Layers? layers)
    {
        if (_rules.ExcludeLargerThan is { } limit && child.Status.Type == FileType.File && child.Status.Size > limit)
        {
            return true;
        }
        var path = ChildPath(parent, child.Name);
        var isDirectory = child.Status.Type == FileType.Directory;
        if (_patterns.Match(path, isDirectory) is { } decided)
        {
            return decided;
        }
        for (var layer = layers; layer is not null; layer = layer.Parent)
        {
            var relative = layer.BaseLength == 0 ? path.AsSpan() : path.AsSpan(layer.BaseLength + 1);
            if (layer.Patterns.Match(relative, isDirectory) is { } verdict)
            {
                return verdict;
            }
        }
        return false;
    }

    /// <summary>Whether the directory holds a tag that leaves out the rest of its contents; <paramref name="tags"/> are the entries kept.</summary>
    private bool IsTagged(WalkDirectory directory, List<DirectoryReader.Entry> children, out List<DirectoryReader.Entry> tags)
    {
        tags = [];
        if (!_rules.ExcludeCaches && _ifPresent.Length == 0)
        {
            return false;
        }
        foreach (var child in children)
        {
            var name = child.Name.AsSpan();
            var present = false;
            foreach (var tag in _ifPresent)
            {
                present |= name.SequenceEqual(tag);
            }
            if (present || (_rules.ExcludeCaches && name.SequenceEqual(s_cacheTag) && IsCacheTag(directory, child)))
            {
                tags.Add(child);
            }
        }
        return tags.Count > 0;
    }

    /// <summary>A regular file that begins with the signature; one that cannot be read is not a tag (its directory is backed up, and what fails there is reported).</summary>
    private static bool IsCacheTag(WalkDirectory directory, DirectoryReader.Entry tag)
    {
        if (tag.Status.Type != FileType.File || tag.Status.Size < CacheSignature.Length)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[CacheSignature.Length];
        try
        {
            using var file = directory.OpenFile(tag.Name, tag.Status, PathOf(directory, tag), out _);
            var read = 0;
            while (read < head.Length && RandomAccess.Read(file, head[read..], read) is var n && n > 0)
            {
                read += n;
            }
            return read == head.Length && head.SequenceEqual(CacheSignature);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The patterns of a directory's ignore file; an unreadable file or an invalid line is reported, and the rest applies.</summary>
    private IgnorePatterns? ReadIgnoreFile(WalkDirectory directory, byte[] relativeBytes, DirectoryReader.Entry entry)
    {
        var display = EntryName.Escape(TreeWalker.Join(relativeBytes, entry.Name));
        if (entry.Status.Size > MaxIgnoreFile)
        {
            _onProblem(new TreeProblem(display, $"larger than {Quantity.Bytes(MaxIgnoreFile)}: not read as an ignore file"));
            return null;
        }
        byte[] content;
        try
        {
            using var file = directory.OpenFile(entry.Name, entry.Status, PathOf(directory, entry), out var opened);
            content = new byte[Math.Min(opened.Size, MaxIgnoreFile)];
            var read = 0;
            while (read < content.Length && RandomAccess.Read(file, content.AsSpan(read), read) is var n && n > 0)
            {
                read += n;
            }
            content = content[..read];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _onProblem(new TreeProblem(display, "not read as an ignore file: " + TreeProblem.ReasonOf(e)));
            return null;
        }
        // Lines are decoded as names are (invalid bytes escaped one to one), so a pattern matches a non-UTF-8 name byte for byte.
        var lines = new List<string>();
        for (var rest = content.AsSpan(); !rest.IsEmpty;)
        {
            var end = rest.IndexOf((byte)'\n');
            lines.Add(EntryName.Decode(end < 0 ? rest : rest[..end]));
            rest = end < 0 ? [] : rest[(end + 1)..];
        }
        return IgnorePatterns.Parse(lines, (number, line, reason) =>
            _onProblem(new TreeProblem(display, $"line {number} ('{line}') is no valid pattern and is skipped: {reason}")));
    }

    private static string PathOf(WalkDirectory directory, DirectoryReader.Entry entry) => Path.Join(directory.Path, EntryName.Decode(entry.Name));
}
