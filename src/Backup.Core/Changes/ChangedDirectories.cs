using System.Text;
using Backup.Core.Posix;
using Backup.Core.Sources;

namespace Backup.Core.Changes;

/// <summary>
/// A dirty set (docs/design.md, "Continuous protection"): the directories of one tree, by raw path relative to its root,
/// whose entries may have changed since the last snapshot. A <i>listed</i> directory is listed again and its entries
/// stat-ed; a <i>deep</i> one (new, moved in, below a lost watch) is listed with everything below it; every ancestor of
/// either is listed too, since its tree changes with theirs. Everything else is reused unread. <see cref="Everything"/>
/// (an overflow, a failed barrier) lists the whole tree. As a walk scope it is read-only: a watch fills one set while
/// a snapshot reads the one it swapped out. Not thread-safe.
/// </summary>
public sealed class ChangedDirectories : IWalkScope
{
    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deep = new(StringComparer.Ordinal);
    private HashSet<string>? _ancestors;
    private readonly Action<WalkDirectory, byte[]>? _entering;

    /// <summary>Creates an empty set; <paramref name="entering"/> hears of every directory a walk over it is about to list.</summary>
    public ChangedDirectories(Action<WalkDirectory, byte[]>? entering = null) => _entering = entering;

    /// <summary>The whole tree must be listed.</summary>
    public bool Everything { get; private set; }

    /// <summary>Directories marked (listed or deep), not counting their ancestors.</summary>
    public int Count => _listed.Count + _deep.Count;

    /// <summary>Nothing is marked.</summary>
    public bool IsEmpty => !Everything && Count == 0;

    /// <summary>Marks a directory: listed, or with everything below it when <paramref name="deep"/>.</summary>
    public void Add(ReadOnlySpan<byte> relativePath, bool deep = false)
    {
        if (Everything)
        {
            return;
        }
        _ancestors = null;
        var key = Key(relativePath);
        if (deep)
        {
            _deep.Add(key);
            _listed.Remove(key);
        }
        else if (!_deep.Contains(key))
        {
            _listed.Add(key);
        }
    }

    /// <summary>Marks the whole tree (and forgets the single directories, which it covers).</summary>
    public void AddEverything()
    {
        Everything = true;
        _listed.Clear();
        _deep.Clear();
        _ancestors = null;
    }

    /// <summary>Adds everything <paramref name="other"/> marks.</summary>
    public void UnionWith(ChangedDirectories other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Everything)
        {
            AddEverything();
            return;
        }
        foreach (var d in other._deep)
        {
            Add(Encoding.Latin1.GetBytes(d), deep: true);
        }
        foreach (var d in other._listed)
        {
            Add(Encoding.Latin1.GetBytes(d));
        }
    }

    /// <summary>The marked directories' raw relative paths, deep ones flagged (for status and tests).</summary>
    public IEnumerable<(byte[] Path, bool Deep)> Marked =>
        _deep.Select(d => (Encoding.Latin1.GetBytes(d), true)).Concat(_listed.Select(d => (Encoding.Latin1.GetBytes(d), false)));

    /// <inheritdoc/>
    public void Entering(WalkDirectory directory, ReadOnlySpan<byte> relativePath) => _entering?.Invoke(directory, relativePath.ToArray());

    /// <inheritdoc/>
    public bool ShouldList(ReadOnlySpan<byte> relativePath, out bool deep)
    {
        var key = Key(relativePath);
        deep = Everything || IsBelowDeep(key);
        return deep || _listed.Contains(key) || Ancestors().Contains(key);
    }

    private bool IsBelowDeep(string key)
    {
        if (_deep.Count == 0)
        {
            return false;
        }
        for (var at = key.Length; at >= 0; at = at == 0 ? -1 : key.LastIndexOf('/', at - 1))
        {
            if (_deep.Contains(at == key.Length ? key : key[..at]))
            {
                return true;
            }
        }
        return false;
    }

    private HashSet<string> Ancestors()
    {
        if (_ancestors is not null)
        {
            return _ancestors;
        }
        var ancestors = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var path in _listed.Concat(_deep))
        {
            for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
            {
                if (!ancestors.Add(path[..cut]))
                {
                    break;
                }
            }
        }
        return _ancestors = ancestors;
    }

    /// <summary>A raw path as a string of the same length, one char per byte (Latin-1 maps bytes to chars one to one).</summary>
    private static string Key(ReadOnlySpan<byte> path) => Encoding.Latin1.GetString(path);
}
