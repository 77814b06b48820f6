using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// What the change check's walk (the dirhash's) saw of each directory, so that the archiving after it walks the tree
/// once (docs/repository.md, "One walk"): fed every entry in walk order, it computes each directory's
/// <see cref="SubtreeDigest"/> and totals as <see cref="SnapshotTreeBuilder"/> would, and keeps those of the
/// directories below which the walk met no problem. A directory whose digest equals the parent snapshot's is then
/// reused unlisted (<see cref="BasisFrom"/>), and only the others are listed again: a change deep in a large tree lists
/// the directories above it. About 70 bytes a directory. Not thread-safe: fed on the walk's thread.
/// </summary>
public sealed class TreeSurvey : IDisposable
{
    private readonly Stack<Frame> _stack = new();
    private readonly Dictionary<UInt128, (UInt128 Digest, SubtreeTotals Totals)> _directories = [];
    private long _problems;
    private bool _finished;

    /// <summary>Creates an empty survey; feed it the walk from the root.</summary>
    public TreeSurvey() => _stack.Push(new Frame([], null, 0));

    /// <summary>The clean directories surveyed so far (all of them once the walk is over), the root included.</summary>
    public int Count => _directories.Count;

    /// <summary>Counts a problem of the walk: the directories open now are not clean, so not reused.</summary>
    public void Report(TreeProblem problem) => _problems++;

    /// <summary>Takes the walk's next entry.</summary>
    public void Add(TreeEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_finished)
        {
            throw new InvalidOperationException("the survey is finished");
        }
        while (!SnapshotTreeBuilder.IsParentOf(_stack.Peek().Path, entry.RelativePathBytes))
        {
            Close();
        }
        var frame = _stack.Peek();
        if (entry.Type == Posix.FileType.Directory)
        {
            _stack.Push(new Frame(entry.RelativePathBytes, entry, _problems));
            return;
        }
        frame.Digest.Add(entry, NameOf(entry.RelativePathBytes), null);
        if (entry.Type == Posix.FileType.File)
        {
            frame.Totals += new SubtreeTotals(1, 0, entry.Status.Size);
        }
    }

    /// <summary>Ends the survey: closes the directories still open, the root last.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        while (_stack.Count > 1)
        {
            Close();
        }
        var root = _stack.Pop();
        Record(root, root.Digest.Finish());
        root.Digest.Dispose();
        _finished = true;
    }

    /// <summary>
    /// The basis of a build that lists only what changed since <paramref name="parent"/>: the entries of the parent's
    /// subtree index whose digest the survey found again, with the surveyed totals. Finishes the survey and then
    /// forgets it (<see cref="Count"/> is 0 after).
    /// </summary>
    internal SnapshotBasis BasisFrom(string parentId, SnapshotObject parent, SubtreeIndex parentIndex)
    {
        ArgumentNullException.ThrowIfNull(parentIndex);
        Finish();
        var index = new SubtreeIndex();
        var totals = new Dictionary<UInt128, SubtreeTotals>();
        foreach (var (key, (digest, subtree)) in _directories)
        {
            if (parentIndex.Find(key, digest) is { } tree)
            {
                index.Add(key, digest, tree);
                totals.Add(key, subtree);
            }
        }
        // What was not found again is of no further use: the archiving after this holds the basis alone.
        _directories.Clear();
        _directories.TrimExcess();
        return new SnapshotBasis(parentId, parent, index, totals, new InodeDirectories());
    }

    private void Close()
    {
        var frame = _stack.Pop();
        var digest = frame.Digest.Finish();
        frame.Digest.Dispose();
        var clean = Record(frame, digest);
        var parent = _stack.Peek();
        parent.Totals += frame.Totals + new SubtreeTotals(0, 1, 0);
        parent.Digest.Add(frame.Entry!, NameOf(frame.Path), clean ? digest : null);
        if (!clean)
        {
            parent.Clean = false;
        }
    }

    /// <summary>Keeps a closed directory's digest and totals when nothing below it was left out; returns whether it was clean.</summary>
    private bool Record(Frame frame, UInt128 digest)
    {
        var clean = frame.Clean && _problems == frame.ProblemsAtStart;
        if (clean)
        {
            _directories[SubtreeIndex.KeyOf(frame.Path)] = (digest, frame.Totals);
        }
        return clean;
    }

    /// <summary>The last component of a relative path, without copying it (the survey sees every entry of the tree).</summary>
    private static ReadOnlySpan<byte> NameOf(byte[] path)
    {
        var cut = Array.LastIndexOf(path, (byte)'/');
        return cut < 0 ? path : path.AsSpan(cut + 1);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var frame in _stack)
        {
            frame.Digest.Dispose();
        }
        _stack.Clear();
    }

    private sealed class Frame(byte[] path, TreeEntry? entry, long problemsAtStart)
    {
        public byte[] Path { get; } = path;
        public TreeEntry? Entry { get; } = entry;
        public long ProblemsAtStart { get; } = problemsAtStart;
        public SubtreeDigest Digest { get; } = new();
        public SubtreeTotals Totals { get; set; }
        public bool Clean { get; set; } = true;
    }
}
