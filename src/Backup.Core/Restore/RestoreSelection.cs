namespace Backup.Core.Restore;

/// <summary>
/// Which paths of a snapshot a restore takes: <c>--include</c> and <c>--exclude</c> patterns, one syntax for both
/// (<c>*</c> and <c>?</c> of <see cref="System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(ReadOnlySpan{char}, ReadOnlySpan{char}, bool)"/>,
/// matched case-sensitively against the whole relative path; <c>*</c> also matches <c>/</c>). A pattern matches a path
/// when it matches the path itself or one of its parent directories, so a matching directory stands for everything
/// below it. A path is selected when no include is given or one matches, and no exclude matches: an exclude wins.
/// Immutable and thread-safe.
/// </summary>
public sealed class RestoreSelection
{
    /// <summary>Everything: no include, no exclude.</summary>
    public static RestoreSelection All { get; } = new([], []);

    /// <summary>Makes a selection; null lists mean none.</summary>
    public RestoreSelection(IReadOnlyList<string>? include, IReadOnlyList<string>? exclude)
    {
        Include = include ?? [];
        Exclude = exclude ?? [];
    }

    /// <summary>Patterns of what to restore; empty means everything.</summary>
    public IReadOnlyList<string> Include { get; }

    /// <summary>Patterns of what to leave out, even when an include matches; a restore with delete never deletes them from the target either.</summary>
    public IReadOnlyList<string> Exclude { get; }

    /// <summary>True when any pattern is given: the restore may then match nothing.</summary>
    public bool IsFiltered => Include.Count > 0 || Exclude.Count > 0;

    /// <summary>True when <paramref name="path"/> (normalised, relative) is to be restored: see the type's rules.</summary>
    public bool IsSelected(string path) => (Include.Count == 0 || MatchesAny(Include, path)) && !IsExcluded(path);

    /// <summary>True when an exclude pattern matches <paramref name="path"/> or one of its parents.</summary>
    public bool IsExcluded(string path) => Exclude.Count > 0 && MatchesAny(Exclude, path);

    /// <summary>Describes the patterns as they were given on the command line (<c>--include 'a' --exclude 'b'</c>).</summary>
    public override string ToString() =>
        string.Join(" ", Include.Select(i => $"--include '{i}'").Concat(Exclude.Select(e => $"--exclude '{e}'")));

    private static bool MatchesAny(IReadOnlyList<string> patterns, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var probe = path;
        while (true)
        {
            foreach (var pattern in patterns)
            {
                if (System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, probe, ignoreCase: false))
                {
                    return true;
                }
            }
            var cut = probe.LastIndexOf('/');
            if (cut < 0)
            {
                return false;
            }
            probe = probe[..cut];
        }
    }
}
