using System.IO.Enumeration;

namespace Backup.Core.Find;

/// <summary>
/// A glob that find matches against entries of snapshots, as restic's find does. Without a '/', it is matched against
/// an entry's name (<c>*.c</c>). With one, against its path: a pattern that begins with '/' against the whole absolute
/// path the entry had in its source (<c>/home/u/**/x</c>), any other against its last components (<c>src/*.c</c>
/// matches <c>/home/u/src/a.c</c>). In a component, <c>*</c> matches any run of characters and <c>?</c> one, never a
/// '/', and <c>\</c> makes the next character literal (<see cref="FileSystemName.MatchesSimpleExpression"/>);
/// <c>**</c> as a whole component matches any number of components, none included. Immutable and thread-safe.
/// </summary>
public sealed class PathPattern
{
    private readonly string[] _components;
    private readonly bool _anchored;
    private readonly bool _ignoreCase;

    private PathPattern(string text, string[] components, bool anchored, bool ignoreCase)
    {
        Text = text;
        _components = components;
        _anchored = anchored;
        _ignoreCase = ignoreCase;
    }

    /// <summary>The pattern as given.</summary>
    public string Text { get; }

    /// <summary>True when the pattern is matched against names only, so that whether an entry matches does not depend on where it lies.</summary>
    public bool OnName => _components.Length == 1 && !_anchored;

    /// <summary>Parses <paramref name="text"/>. Throws <see cref="FormatException"/> for an empty pattern.</summary>
    public static PathPattern Parse(string text, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var components = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (components.Length == 0)
        {
            throw new FormatException($"the pattern '{text}' matches nothing: give a name (*.c) or a path (/home/u/**/x)");
        }
        var anchored = text.StartsWith('/');
        // "src/*.c" is "**/src/*.c": it matches wherever its components end a path.
        return new PathPattern(text, anchored || components.Length == 1 ? components : ["**", .. components], anchored || components.Length > 1, ignoreCase);
    }

    /// <summary>True when the entry named <paramref name="name"/>, at absolute path <paramref name="path"/>, matches.</summary>
    public bool Matches(string name, string path)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(path);
        if (OnName)
        {
            return Component(_components[0], name);
        }
        return Matches(_components, path.Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    private bool Matches(ReadOnlySpan<string> pattern, ReadOnlySpan<string> path)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == "**")
            {
                // Any number of components: try every place where the rest of the pattern may start.
                for (var skip = 0; skip <= path.Length; skip++)
                {
                    if (Matches(pattern[1..], path[skip..]))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (path.Length == 0 || !Component(pattern[0], path[0]))
            {
                return false;
            }
            pattern = pattern[1..];
            path = path[1..];
        }
        return path.Length == 0;
    }

    private bool Component(string pattern, string name) => FileSystemName.MatchesSimpleExpression(pattern, name, _ignoreCase);
}
