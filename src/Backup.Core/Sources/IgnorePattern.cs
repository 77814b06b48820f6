using System.Text;

namespace Backup.Core.Sources;

/// <summary>One compiled gitignore pattern (see <see cref="IgnorePatterns"/>): its path segments, each a token list or <c>**</c>.</summary>
internal sealed class IgnorePattern
{
    private readonly Segment[] _segments;

    private IgnorePattern(Segment[] segments, bool negated, bool directoryOnly)
    {
        _segments = segments;
        Negated = negated;
        DirectoryOnly = directoryOnly;
    }

    /// <summary>A <c>!</c> pattern: a match re-includes.</summary>
    public bool Negated { get; }

    /// <summary>A pattern that ended in <c>/</c>: it matches directories only.</summary>
    public bool DirectoryOnly { get; }

    /// <summary>
    /// Parses one line: true with a pattern, or with null for a blank or comment line; false with the reason for a
    /// line that is no valid pattern.
    /// </summary>
    public static bool TryParse(string line, out IgnorePattern? pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        pattern = null;
        error = null;
        var text = TrimTrailingSpaces(line.TrimEnd('\r'));
        if (text.Length == 0 || text[0] == '#')
        {
            return true;
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            error = "a pattern cannot hold a NUL character";
            return false;
        }
        var negated = text[0] == '!';
        if (negated)
        {
            text = text[1..];
        }
        var directoryOnly = text.EndsWith('/') && !EndsEscaped(text.AsSpan(0, text.Length - 1));
        if (directoryOnly)
        {
            text = text.TrimEnd('/');
        }
        // A slash at the start or in the middle anchors the pattern at its list's directory; without one it matches a name at any depth.
        var anchored = text.Contains('/', StringComparison.Ordinal);
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = "the pattern is empty";
            return false;
        }
        var segments = new List<Segment>();
        if (!anchored)
        {
            segments.Add(Segment.DoubleStar);
        }
        foreach (var part in parts)
        {
            if (part == "**")
            {
                if (segments.Count == 0 || !segments[^1].IsDoubleStar)
                {
                    segments.Add(Segment.DoubleStar);
                }
                continue;
            }
            if (!Token.TryCompile(part, out var tokens, out error))
            {
                return false;
            }
            segments.Add(new Segment(tokens));
        }
        if (segments[^1].IsDoubleStar && segments.Count > 1)
        {
            // A trailing "/**" matches everything inside, but not the directory itself: at least one more name.
            segments.Insert(segments.Count - 1, new Segment([Token.Star]));
        }
        pattern = new IgnorePattern([.. segments], negated, directoryOnly);
        return true;
    }

    /// <summary>Whether the pattern matches <paramref name="path"/>, split into <paramref name="components"/>.</summary>
    public bool Matches(ReadOnlySpan<char> path, ReadOnlySpan<Range> components, bool isDirectory)
    {
        if (DirectoryOnly && !isDirectory)
        {
            return false;
        }
        if (_segments.Length == 2 && _segments[0].IsDoubleStar && !_segments[1].IsDoubleStar)
        {
            // A pattern without a slash ("*.o"): only the last name can match, whatever comes before it.
            return Token.Match(_segments[1].Tokens, path[components[^1]]);
        }
        // Greedy matching with one backtrack point, as for '*' in a name: "**" is a '*' over whole names.
        int si = 0, ci = 0, starSegment = -1, starComponent = 0;
        while (ci < components.Length)
        {
            if (si < _segments.Length && _segments[si].IsDoubleStar)
            {
                starSegment = si++;
                starComponent = ci;
                continue;
            }
            if (si < _segments.Length && Token.Match(_segments[si].Tokens, path[components[ci]]))
            {
                si++;
                ci++;
                continue;
            }
            if (starSegment >= 0)
            {
                si = starSegment + 1;
                ci = ++starComponent;
                continue;
            }
            return false;
        }
        while (si < _segments.Length && _segments[si].IsDoubleStar)
        {
            si++;
        }
        return si == _segments.Length;
    }

    private static string TrimTrailingSpaces(string text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] == ' ' && !EndsEscaped(text.AsSpan(0, end - 1)))
        {
            end--;
        }
        return text[..end];
    }

    /// <summary>Whether the character after <paramref name="text"/> is escaped: an odd number of backslashes ends it.</summary>
    private static bool EndsEscaped(ReadOnlySpan<char> text)
    {
        var backslashes = 0;
        for (var i = text.Length - 1; i >= 0 && text[i] == '\\'; i--)
        {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    /// <summary>One segment of a pattern: <c>**</c>, or the tokens of one name.</summary>
    private sealed class Segment(Token[] tokens)
    {
        public static Segment DoubleStar { get; } = new([]) { IsDoubleStar = true };

        public Token[] Tokens { get; } = tokens;

        public bool IsDoubleStar { get; private init; }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder(Negated ? "!" : "");
        text.AppendJoin('/', _segments.Select(s => s.IsDoubleStar ? "**" : string.Concat(s.Tokens.Select(t => t.ToString()))));
        return text.Append(DirectoryOnly ? "/" : "").ToString();
    }
}
