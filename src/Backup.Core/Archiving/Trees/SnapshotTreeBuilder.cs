using Backup.Core.Buffers;
using System.Buffers;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// Turns a walk into trees, bottom-up. Each directory's entries are collected in walk order, with a digest of their
/// metadata (<see cref="SubtreeDigest"/>); when the walk leaves the directory, an unchanged digest (the parent
/// snapshot's <see cref="SubtreeIndex"/>) reuses the stored tree without reading anything. Otherwise the directory's
/// old tree is loaded, and a file whose size, mtime, ctime and inode equal its old node keeps that node's chunk list
/// unread; other files are chunked (large ones of a directory several at once, beside the walk's thread), and chunks
/// are hashed, compressed and sealed on every core with a bounded number of bytes in flight. Files are opened through the descriptor of the directory the walk listed (kept open, one per directory of
/// the current path, until that directory is finished) and must be the inode the walk saw. A file that changes while
/// read is read once more, then left out and reported, once.
/// </summary>
internal sealed class SnapshotTreeBuilder : IDisposable
{
    private readonly ITreeBuilderRepository _repository;
    private readonly ChunkId? _parentRoot;
    private readonly SubtreeIndex? _parentIndex;
    private readonly Action<TreeProblem> _onProblem;
    private readonly NodeMetadata _metadata;
    private readonly HardLinkMemo _hardLinks = new();
    private readonly SnapshotBasis? _basis;
    private readonly bool _keepsBasis;
    // Chunks copied for the pool and not yet packed, bounded in bytes (a chunk larger than the bound goes alone).
    private readonly ByteBudget _inFlight = new(InFlightBytes);
    // The saves of new chunks, started from the walk's thread and, for large files, from the pool.
    private readonly List<Task> _saves = [];
    private readonly Lock _savesLock = new();
    private ChunkReader? _chunks;
    // Large files read beside the walk's thread (see NodesAsync), at most AsideReads at once.
    private readonly SemaphoreSlim _aside = new(AsideReads, AsideReads);
    private readonly Lock _problemsLock = new();
    private long _readAside;
    private long _newChunks;
    private long _newBytes;
    private long _problems;

    /// <summary>
    /// Creates a builder. <paramref name="parentRoot"/> and <paramref name="parentIndex"/> describe the parent snapshot
    /// (either may be null); <paramref name="onProblem"/> gets what is left out.
    /// </summary>
    public SnapshotTreeBuilder(ITreeBuilderRepository repository, ChunkId? parentRoot, SubtreeIndex? parentIndex, Action<TreeProblem> onProblem)
        : this(repository, parentRoot, parentIndex, onProblem, basis: null, pruning: false, keepBasis: false)
    {
    }

    /// <summary>
    /// Creates a builder for a watch: <paramref name="basis"/> is the last snapshot it wrote (its tree and index are the
    /// parent). When <paramref name="pruning"/>, the walk lists only what may have changed: a directory it does not list
    /// is reused from the basis with its totals, and the new index, totals and inode map start as the basis's. Otherwise
    /// they start empty and the walk fills them. Unless <paramref name="keepBasis"/>, the build keeps only what a snapshot
    /// stores (its subtree index): not the totals, inode map, listed directories and changed links that the next build of
    /// a watch starts from, which cost about 30 bytes a file.
    /// </summary>
    public SnapshotTreeBuilder(ITreeBuilderRepository repository, ChunkId? parentRoot, SubtreeIndex? parentIndex, Action<TreeProblem> onProblem, SnapshotBasis? basis, bool pruning, bool keepBasis = true)
    {
        _keepsBasis = keepBasis;
        _repository = repository;
        _parentRoot = parentRoot;
        _parentIndex = parentIndex;
        _onProblem = onProblem;
        _basis = basis;
        if (pruning && basis is not null)
        {
            // A watch keeps its basis for the next build, so it is copied; a build that keeps no basis (one made from a
            // survey, thrown away after) takes the basis's index as its own: it changes only the entries of the
            // directories it lists, which are not the basis's (those it reuses).
            Index = keepBasis ? basis.Index.Clone() : basis.Index;
            Totals = keepBasis ? new Dictionary<UInt128, SubtreeTotals>(basis.Totals) : basis.Totals;
            Inodes = basis.Inodes;
        }
        // Through Report, so that a directory with an unreadable attribute below it is not indexed as complete.
        _metadata = new NodeMetadata(Report);
    }

    public long Files { get; private set; }

    /// <summary>Counts the files as they are read or found unchanged, and their bytes; null counts nothing.</summary>
    public ProgressCounters? Progress { get; init; }
    public long Directories { get; private set; }
    public long Bytes { get; private set; }
    public long NewChunks => Interlocked.Read(ref _newChunks);
    public long NewBytes => Interlocked.Read(ref _newBytes);

    /// <summary>Files read beside the walk's thread, while it read others of their directory.</summary>
    public long ReadAside => Interlocked.Read(ref _readAside);

    /// <summary>Subtrees reused unread from the parent snapshot.</summary>
    public long ReusedSubtrees { get; private set; }

    /// <summary>The new snapshot's subtree index: every directory below which nothing was left out.</summary>
    public SubtreeIndex Index { get; } = new();

    /// <summary>The totals below each directory of the new snapshot that is indexed.</summary>
    public Dictionary<UInt128, SubtreeTotals> Totals { get; } = [];

    /// <summary>Which directories hold each file's inode (see <see cref="InodeDirectories"/>).</summary>
    public InodeDirectories Inodes { get; } = new();

    /// <summary>
    /// Files with other links whose node changed in a directory this build listed (a name added or removed, a new link
    /// count or ctime): their other names' directories may have changed unseen (see <see cref="InodeDirectories"/>).
    /// </summary>
    public List<FileStatus> ChangedLinks { get; } = [];

    /// <summary>The directories this build listed, by raw relative path in Latin-1 (one char per byte).</summary>
    public HashSet<string> Listed { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reports a problem of the walk (or of this builder): the directories above it are not indexed. Thread-safe: a file
    /// read beside the walk reports from the pool (its attributes), one problem at a time.
    /// </summary>
    public void Report(TreeProblem problem)
    {
        lock (_problemsLock)
        {
            _problems++;
            _onProblem(problem);
        }
    }

    public async Task<ChunkId> BuildAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
    {
        try
        {
            return await BuildTreesAsync(walk, cancellationToken);
        }
        finally
        {
            // On failure or cancellation, let the saves still running end before the repository can be disposed.
            await Task.WhenAll(Saves()).ContinueWith(_ => { }, TaskScheduler.Default);
            // A watch keeps the builder for its next build: the buffer the files were read in goes back now.
            ReleaseChunkReader();
        }
    }

    /// <summary>The saves started so far (a file's chunks are claimed and saved from the pool).</summary>
    private Task[] Saves()
    {
        lock (_savesLock)
        {
            return [.. _saves];
        }
    }

    private void ReleaseChunkReader()
    {
        _chunks?.Dispose();
        _chunks = null;
    }

    private async Task<ChunkId> BuildTreesAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame([], null, null, _problems, null));
        try
        {
            foreach (var entry in walk)
            {
                while (!IsParentOf(stack.Peek().Path, entry.RelativePathBytes))
                {
                    await CloseAsync(stack, cancellationToken);
                }
                var frame = stack.Peek();
                // The files are read once the directory's walk is over: keep its descriptor open until then (the root's
                // is known from its first entry).
                frame.Directory ??= entry.Parent?.Retain();
                var name = NameOf(entry.RelativePathBytes);
                if (entry.Type == FileType.Directory)
                {
                    stack.Push(new Frame(entry.RelativePathBytes, entry, frame, _problems, entry.Directory?.Retain()) { Pruned = entry.Pruned });
                    continue;
                }
                frame.Digest.Add(entry, name, null);
                var node = NodeOf(entry, name);
                if (entry.Type == FileType.File)
                {
                    Files++;
                    Bytes += node.Size;
                    frame.Totals += new SubtreeTotals(1, 0, node.Size);
                }
                frame.Slots.Add(new Slot(node, entry));
            }
            while (stack.Count > 1)
            {
                await CloseAsync(stack, cancellationToken);
            }
            var rootFrame = stack.Peek();
            var root = await FinishAsync(rootFrame, cancellationToken);
            await Task.WhenAll(Saves());
            return root;
        }
        finally
        {
            foreach (var frame in stack)
            {
                frame.Directory?.Dispose();
            }
        }
    }

    /// <summary>
    /// Closes the innermost directory and adds its node to its parent, with the directory's extended attributes read
    /// from its descriptor, which it then gives back.
    /// </summary>
    private async Task CloseAsync(Stack<Frame> stack, CancellationToken cancellationToken)
    {
        var frame = stack.Peek();
        var name = NameOf(frame.Path);
        var id = await FinishAsync(frame, cancellationToken);
        var xattrs = frame.Directory is { } directory ? _metadata.XattrsOf(directory, frame.Entry!) : null;
        stack.Pop();
        frame.Directory?.Dispose();
        var parent = stack.Peek();
        parent.Totals += frame.Totals + new SubtreeTotals(0, 1, 0);
        parent.Digest.Add(frame.Entry!, name, frame.Clean ? frame.DigestValue : null);
        if (!frame.Clean)
        {
            parent.Clean = false;
        }
        parent.Slots.Add(new Slot(NodeOf(frame.Entry!, name) with { Subtree = id.ToString(), Xattrs = xattrs }, frame.Entry!));
        Directories++;
    }

    /// <summary>
    /// Stores (or reuses) the tree of a directory whose walk is over: reused unread when its digest equals the parent
    /// snapshot's, otherwise built from its slots with the old tree's chunk lists for unchanged files.
    /// </summary>
    private async Task<ChunkId> FinishAsync(Frame frame, CancellationToken cancellationToken)
    {
        frame.DigestValue = frame.Digest.Finish();
        frame.Digest.Dispose();
        if (_problems != frame.ProblemsAtStart)
        {
            frame.Clean = false;
        }
        var key = SubtreeIndex.KeyOf(frame.Path);
        if (frame.Pruned)
        {
            return Reuse(frame, key);
        }
        RecordInodes(frame);
        if (frame.Clean && _parentIndex?.Find(key, frame.DigestValue) is { } stored && _repository.IsIndexed(stored))
        {
            ReusedSubtrees++;
            Index.Add(key, frame.DigestValue, stored);
            KeepTotals(key, frame.Totals);
            return stored;
        }
        var old = await OldNodesAsync(frame, cancellationToken);
        var nodes = await NodesAsync(frame, old, cancellationToken);
        FindChangedLinks(old, nodes);
        var id = await _repository.SaveTreeAsync(new TreeObject { Nodes = nodes }, cancellationToken);
        if (_problems != frame.ProblemsAtStart)
        {
            frame.Clean = false; // a file of this directory was left out just now
        }
        if (frame.Clean)
        {
            Index.Add(key, frame.DigestValue, id);
            KeepTotals(key, frame.Totals);
        }
        else
        {
            Index.Remove(key);
            Totals.Remove(key);
        }
        return id;
    }

    /// <summary>
    /// The stored tree of a directory the walk did not list, with its digest and totals from the basis. Throws
    /// <see cref="SubtreeUnavailableException"/> when the basis lacks it or the repository no longer holds it: the
    /// caller then walks the whole tree.
    /// </summary>
    private ChunkId Reuse(Frame frame, UInt128 key)
    {
        if (_basis?.Index.Get(key) is not { } stored || !_basis.Totals.TryGetValue(key, out var totals) || !_repository.IsIndexed(stored.Tree))
        {
            throw new SubtreeUnavailableException(EntryName.Escape(frame.Path));
        }
        ReusedSubtrees++;
        frame.DigestValue = stored.Digest;
        frame.Totals = totals;
        Files += totals.Files;
        Bytes += totals.Bytes;
        Directories += totals.Directories;
        return stored.Tree;
    }

    private void KeepTotals(UInt128 key, SubtreeTotals totals)
    {
        if (_keepsBasis)
        {
            Totals[key] = totals;
        }
    }

    /// <summary>Records the inode of every file the walk listed in <paramref name="frame"/>'s directory (for a build that keeps its basis).</summary>
    private void RecordInodes(Frame frame)
    {
        if (!_keepsBasis)
        {
            return;
        }
        Listed.Add(System.Text.Encoding.Latin1.GetString(frame.Path));
        foreach (var slot in frame.Slots)
        {
            if (slot.Entry.Type != FileType.Directory)
            {
                Inodes.Add(slot.Entry.Status, frame.Path);
            }
        }
    }

    /// <summary>Adds to <see cref="ChangedLinks"/> the files with other links (now or before) whose node is new, gone or changed.</summary>
    private void FindChangedLinks(Dictionary<string, TreeNode>? old, List<TreeNode> nodes)
    {
        if (!_keepsBasis)
        {
            return;
        }
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.Type == "dir")
            {
                continue;
            }
            var name = Convert.ToBase64String(node.Name);
            now.Add(name);
            var before = old?.GetValueOrDefault(name);
            if ((node.Links > 1 || before?.Links > 1) && (before is null || before.Inode != node.Inode || before.Links != node.Links || before.CtimeNs != node.CtimeNs))
            {
                ChangedLinks.Add(StatusOf(node));
                if (before is not null && before.Inode != node.Inode)
                {
                    ChangedLinks.Add(StatusOf(before));
                }
            }
        }
        foreach (var (name, before) in old ?? [])
        {
            if (before.Type != "dir" && before.Links > 1 && !now.Contains(name))
            {
                ChangedLinks.Add(StatusOf(before));
            }
        }
    }

    private static FileStatus StatusOf(TreeNode node) =>
        new(0, node.Size, node.MtimeNs, node.CtimeNs, node.Inode, node.Device, node.Uid, node.Gid) { Links = node.Links };

    /// <summary>
    /// The nodes of <paramref name="frame"/>'s directory in the parent snapshot, by base64 name, or null when it had
    /// none. Found through the parent snapshot's subtree index, or else through the old tree of the directory above.
    /// </summary>
    private async Task<Dictionary<string, TreeNode>?> OldNodesAsync(Frame frame, CancellationToken cancellationToken)
    {
        if (frame.OldLoaded)
        {
            return frame.Old;
        }
        frame.OldLoaded = true;
        ChunkId? tree;
        if (frame.Parent is null)
        {
            tree = _parentRoot;
        }
        else if (_parentIndex?.TreeOf(SubtreeIndex.KeyOf(frame.Path)) is { } indexed)
        {
            tree = indexed;
        }
        else
        {
            var above = await OldNodesAsync(frame.Parent, cancellationToken);
            tree = above?.GetValueOrDefault(Convert.ToBase64String(NameOf(frame.Path)))?.Subtree is { } s ? ChunkId.Parse(s) : null;
        }
        frame.Old = await LoadParentAsync(tree, cancellationToken);
        return frame.Old;
    }

    private static TreeNode NodeOf(TreeEntry entry, byte[] name)
    {
        var s = entry.Status;
        return new TreeNode
        {
            Name = name,
            Type = entry.Type switch { FileType.File => "file", FileType.Directory => "dir", FileType.Symlink => "symlink", _ => "other" },
            Mode = s.Mode,
            Uid = s.Uid,
            Gid = s.Gid,
            MtimeNs = s.MtimeNs,
            CtimeNs = s.CtimeNs,
            Size = entry.Type == FileType.File ? s.Size : 0,
            Inode = s.Inode,
            Device = s.Device,
            Target = entry.LinkTarget,
        };
    }

    /// <summary>
    /// The nodes of a directory whose tree is written again, in walk order. Files are read on the walk's thread but for
    /// a large one (<see cref="ParallelIdsFrom"/> bytes or more, one link, changed), which is read beside it when fewer
    /// than <see cref="AsideReads"/> are, with a chunk reader of its own, while the walk's thread reads the next files:
    /// two large changed files of a directory are chunked at once (their chunk ids and compression were on the pool
    /// already). Each file's node and counts are settled here, in walk order, once its reading is over; no file of the
    /// directory is still being read when this returns or throws, as the directory's descriptor is given back then.
    /// </summary>
    private async Task<List<TreeNode>> NodesAsync(Frame frame, Dictionary<string, TreeNode>? old, CancellationToken cancellationToken)
    {
        var nodes = new List<TreeNode?>(frame.Slots.Count);
        List<(int Index, TreeEntry Entry, TreeNode Node, Task<FileRead> Read)>? aside = null;
        try
        {
            foreach (var slot in frame.Slots)
            {
                // Owner names, link count and (but for files, read with their content) extended attributes: looked up
                // only for directories whose tree is written again.
                var described = _metadata.Describe(slot.Node, slot.Entry);
                if (slot.Entry.Type != FileType.File)
                {
                    nodes.Add(described);
                    continue;
                }
                var previous = old?.GetValueOrDefault(Convert.ToBase64String(slot.Node.Name));
                var s = slot.Entry.Status;
                if (s.Size >= ParallelIdsFrom && s.Links < 2 && !IsUnchanged(previous, s) && _aside.Wait(0, CancellationToken.None))
                {
                    (aside ??= []).Add((nodes.Count, slot.Entry, described, ReadAsideAsync(slot.Entry, cancellationToken)));
                    nodes.Add(null);
                    continue;
                }
                nodes.Add(await FileNodeAsync(frame, slot.Entry, described, previous, cancellationToken));
            }
            foreach (var (index, entry, node, read) in aside ?? [])
            {
                nodes[index] = Settle(frame, entry, node, await read);
            }
        }
        finally
        {
            if (aside is not null)
            {
                // On every path: no file of this directory is still being read when its descriptor goes.
                await Task.WhenAll(aside.Select(a => a.Read)).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        return [.. nodes.OfType<TreeNode>()];
    }

    /// <summary>
    /// Large files read beside the walk's thread at once: the cores less one, at least one (the walk's thread reads
    /// another meanwhile). Each holds a chunk reader's buffer (up to the maximum chunk, 8 MiB);
    /// the chunks they hand on share the builder's <see cref="InFlightBytes"/>.
    /// </summary>
    internal static readonly int AsideReads = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Reads a file on the pool with a chunk reader of its own, then gives back its place among <see cref="AsideReads"/>.</summary>
    private Task<FileRead> ReadAsideAsync(TreeEntry entry, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        try
        {
            Interlocked.Increment(ref _readAside);
            using var chunks = new ChunkReader(_repository.Chunker, _repository.Buffers);
            return await ReadCountedAsync(entry, chunks, cancellationToken);
        }
        finally
        {
            _aside.Release();
        }
    }, CancellationToken.None);

    private static bool IsUnchanged(TreeNode? previous, FileStatus s) =>
        previous is { Type: "file", Content: not null } p && p.Size == s.Size && p.MtimeNs == s.MtimeNs && p.CtimeNs == s.CtimeNs && p.Inode == s.Inode;

    /// <summary>
    /// The node of a file: the old node's chunk list when size, mtime, ctime and inode are unchanged, else the file
    /// read now. Null when it cannot be read consistently: then it is reported once and taken out of the counts.
    /// </summary>
    private async Task<TreeNode?> FileNodeAsync(Frame frame, TreeEntry entry, TreeNode node, TreeNode? previous, CancellationToken cancellationToken)
    {
        var s = entry.Status;
        if (_hardLinks.Find(s) is { } link)
        {
            Progress?.CompleteItem(s.Size);
            return node with { Content = link.Content, Xattrs = link.Xattrs };
        }
        if (IsUnchanged(previous, s))
        {
            Progress?.CompleteItem(s.Size);
            return _hardLinks.Remember(node with { Content = previous!.Content, Xattrs = _metadata.XattrsOf(entry) }, s);
        }
        var chunks = _chunks ??= new ChunkReader(_repository.Chunker, _repository.Buffers);
        return Settle(frame, entry, node, await ReadCountedAsync(entry, chunks, cancellationToken));
    }

    private async Task<FileRead> ReadCountedAsync(TreeEntry entry, ChunkReader chunks, CancellationToken cancellationToken)
    {
        Progress?.SetCurrent(entry.RelativePathBytes);
        var read = await ReadFileAsync(entry, chunks, cancellationToken);
        Progress?.CompleteItem();
        return read;
    }

    /// <summary>The node of a file that was read (on the walk's thread): null, reported and taken out of the counts, when it could not be read consistently.</summary>
    private TreeNode? Settle(Frame frame, TreeEntry entry, TreeNode node, FileRead read)
    {
        var s = entry.Status;
        var (content, status, why, xattrs) = read;
        if (content is null)
        {
            Files--;
            Bytes -= s.Size;
            frame.Totals += new SubtreeTotals(-1, 0, -s.Size);
            Report(new TreeProblem(entry.DisplayPath, why + "; left out"));
            return null;
        }
        Bytes += status.Size - s.Size;
        frame.Totals += new SubtreeTotals(0, 0, status.Size - s.Size);
        return _hardLinks.Remember(
            node with { Content = content, Size = status.Size, MtimeNs = status.MtimeNs, CtimeNs = status.CtimeNs, Mode = status.Mode, Xattrs = xattrs },
            status);
    }

    /// <summary>
    /// Opens a file through the directory the walk listed it in (refused unless it is the inode the walk saw) and reads
    /// it into chunks; a file that changed while read is read once more, from the same open file. Returns the chunk ids
    /// and extended attributes, or null and why when it could not be read consistently.
    /// </summary>
    private async Task<FileRead> ReadFileAsync(TreeEntry entry, ChunkReader chunks, CancellationToken cancellationToken)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        FileStatus before;
        try
        {
            handle = entry.OpenFile(out before);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileRead(null, default, TreeProblem.ReasonOf(e), null);
        }
        using (handle)
        {
            for (var attempt = 0; ; attempt++)
            {
                var (content, why) = await ChunkFileAsync(handle, before, entry, chunks, cancellationToken);
                if (content is not null)
                {
                    return new FileRead(content, before, "", _metadata.XattrsOf(handle, entry));
                }
                if (attempt == 1 || why != ChangedWhileRead)
                {
                    return new FileRead(null, before, why, null);
                }
                before = PosixFile.Fstat(handle, entry.FullPath);
            }
        }
    }

    private const string ChangedWhileRead = "changed while being read";

    /// <summary>What reading a file gave: its chunk ids, status and attributes, or null content and why.</summary>
    private readonly record struct FileRead(List<string>? Content, FileStatus Status, string Why, List<byte[][]>? Xattrs);

    /// <summary>
    /// Reads one open file from its start into chunks with <paramref name="chunks"/>. Chunk boundaries are found here, on
    /// the thread that reads the file (the walk's, or the pool's for a large file read beside it). The chunk ids of a
    /// file of <see cref="ParallelIdsFrom"/> bytes or more are computed on the thread pool while the next chunks are read
    /// (a file that changed is read again, and its chunks are mostly known: hashing took half of that reading's CPU), and
    /// those of a smaller file here; compressing, sealing and packing new chunks run on the thread pool, at most
    /// <see cref="InFlightBytes"/> of them at once, and are awaited when the snapshot ends. Returns the chunk ids in file
    /// order, or null and why when the file could not be read consistently.
    /// </summary>
    private async Task<(List<string>? Content, string Why)> ChunkFileAsync(
        Microsoft.Win32.SafeHandles.SafeFileHandle handle, FileStatus before, TreeEntry entry, ChunkReader chunks, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        List<Task<ChunkId>>? hashing = before.Size >= ParallelIdsFrom ? [] : null;
        long read = 0;
        // The stream must not own the handle: it is still needed for the second fstat (and a second reading).
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, bufferSize: 0);
        try
        {
            stream.Position = 0;
            chunks.Begin(stream);
            while (chunks.Next())
            {
                var length = chunks.Chunk.Length;
                read += length;
                Progress?.AddBytes(length);
                if (hashing is not null)
                {
                    hashing.Add(await HashAndStoreAsync(chunks, length, cancellationToken));
                    continue;
                }
                var id = _repository.IdOf(chunks.Chunk.Span);
                ids.Add(id.ToString());
                if (_repository.TryClaim(id))
                {
                    await StoreAsync(id, chunks, length, cancellationToken);
                }
            }
        }
        catch (IOException e)
        {
            return (null, TreeProblem.ReasonOf(e));
        }
        finally
        {
            if (hashing is not null)
            {
                // On every path: no chunk of this file is still being hashed when the file's handle and buffers go.
                await Task.WhenAll(hashing).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        if (hashing is not null)
        {
            foreach (var id in await Task.WhenAll(hashing))
            {
                ids.Add(id.ToString());
            }
        }
        // An attribute changed meanwhile changes the ctime, so the attributes read after this are the content's.
        var after = PosixFile.Fstat(handle, entry.FullPath);
        if (read != before.Size || after.DiffersFrom(before))
        {
            return (null, ChangedWhileRead);
        }
        return (ids, "");
    }

    /// <summary>Files from this size on have their chunk ids computed on the thread pool (see <see cref="ChunkFileAsync"/>).</summary>
    internal const long ParallelIdsFrom = 4 << 20;

    /// <summary>
    /// Takes the current chunk of <paramref name="chunks"/> once the bytes in flight allow it, and computes its id on the
    /// pool; a chunk nobody stored is then stored there too, any other given back. The task ends with the id, before the
    /// chunk is stored.
    /// </summary>
    private async Task<Task<ChunkId>> HashAndStoreAsync(ChunkReader chunks, int length, CancellationToken cancellationToken)
    {
        var plaintext = await TakeAsync(chunks, length, copy: true, cancellationToken);
        return Task.Run(() =>
        {
            ChunkId id;
            try
            {
                id = _repository.IdOf(plaintext.Memory.Span[..length]);
                if (!_repository.TryClaim(id))
                {
                    Give(plaintext, length);
                    return id;
                }
            }
            catch
            {
                Give(plaintext, length);
                throw;
            }
            var save = Task.Run(() => SaveAsync(id, plaintext, length, cancellationToken), CancellationToken.None);
            lock (_savesLock)
            {
                _saves.Add(save);
            }
            return id;
        }, CancellationToken.None);
    }

    /// <summary>
    /// The plaintext bytes of the chunks on their way to the packs (a chunk larger than this goes alone). The compressed
    /// and sealed copy of each is at most as large again, so the chunks in flight take about twice this. 4 MiB keeps both
    /// cores of this machine compressing chunks of the 1 MiB average size: on the real corpus's first backup (bench/README.md,
    /// "Chunks read into buffers of their own") 2 MiB was 25% slower, 8 MiB no faster and about 9 MiB larger.
    /// </summary>
    internal const int InFlightBytes = 4 << 20;

    /// <summary>Takes the claimed current chunk of <paramref name="chunks"/> once the bytes in flight allow it, and stores it on the pool.</summary>
    private async Task StoreAsync(ChunkId id, ChunkReader chunks, int length, CancellationToken cancellationToken)
    {
        var plaintext = await TakeAsync(chunks, length, copy: false, cancellationToken);
        var save = Task.Run(() => SaveAsync(id, plaintext, length, cancellationToken), CancellationToken.None);
        lock (_savesLock)
        {
            _saves.Add(save);
        }
    }

    /// <summary>Waits until <paramref name="length"/> more bytes may be in flight, then takes the current chunk (or a copy of it).</summary>
    private async Task<NativeBuffer> TakeAsync(ChunkReader chunks, int length, bool copy, CancellationToken cancellationToken)
    {
        List<Task>? done = null;
        lock (_savesLock)
        {
            if (_saves.Count >= 256)
            {
                done = [.. _saves.Where(t => t.IsCompleted)];
                _saves.RemoveAll(t => t.IsCompleted);
            }
        }
        foreach (var task in done ?? [])
        {
            await task; // a finished save's error surfaces here
        }
        await _inFlight.WaitAsync(length, cancellationToken);
        try
        {
            return copy ? chunks.CopyChunk() : chunks.TakeChunk();
        }
        catch
        {
            _inFlight.Release(length);
            throw;
        }
    }

    /// <summary>Stores a claimed chunk taken from the reader; its buffer and bytes in flight are given back at the end.</summary>
    private async Task SaveAsync(ChunkId id, NativeBuffer plaintext, int length, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await _repository.StoreClaimedAsync(BlobType.Data, id, plaintext.Memory[..length], cancellationToken);
            Interlocked.Increment(ref _newChunks);
            Interlocked.Add(ref _newBytes, stored);
        }
        finally
        {
            Give(plaintext, length);
        }
    }

    private void Give(NativeBuffer plaintext, int length)
    {
        _repository.Buffers.Return(plaintext);
        _inFlight.Release(length);
    }

    public void Dispose()
    {
        ReleaseChunkReader();
        _aside.Dispose();
    }

    private async Task<Dictionary<string, TreeNode>?> LoadParentAsync(ChunkId? tree, CancellationToken cancellationToken)
    {
        if (tree is not { } id)
        {
            return null;
        }
        try
        {
            var parent = await _repository.LoadTreeAsync(id, cancellationToken);
            return parent.Nodes.ToDictionary(n => Convert.ToBase64String(n.Name));
        }
        catch (InvalidDataException)
        {
            return null; // a damaged parent only costs re-reading the files
        }
    }

    internal static bool IsParentOf(byte[] directory, byte[] path)
    {
        var cut = Array.LastIndexOf(path, (byte)'/');
        return cut < 0 ? directory.Length == 0 : path.AsSpan(0, cut).SequenceEqual(directory);
    }

    internal static byte[] NameOf(byte[] path)
    {
        var cut = Array.LastIndexOf(path, (byte)'/');
        return cut < 0 ? path : path[(cut + 1)..];
    }


    /// <summary>A directory the walk is in: its entries so far and the digest of their metadata.</summary>
    private sealed class Frame(byte[] path, TreeEntry? entry, Frame? parent, long problemsAtStart, WalkDirectory? directory)
    {
        /// <summary>This builder's reference to the directory's descriptor, through which its files are read; null when it could not be opened.</summary>
        public WalkDirectory? Directory { get; set; } = directory;

        public byte[] Path { get; } = path;
        public TreeEntry? Entry { get; } = entry;
        public Frame? Parent { get; } = parent;
        public long ProblemsAtStart { get; } = problemsAtStart;
        public List<Slot> Slots { get; } = [];
        public SubtreeDigest Digest { get; } = new();
        public UInt128 DigestValue { get; set; }

        /// <summary>False once something below was left out: then the directory is not indexed, nor any above it.</summary>
        public bool Clean { get; set; } = true;

        /// <summary>The walk did not list it: its tree is reused from the basis (see <see cref="Reuse"/>).</summary>
        public bool Pruned { get; init; }

        /// <summary>What lies below, as far as the walk has come.</summary>
        public SubtreeTotals Totals { get; set; }

        public bool OldLoaded { get; set; }
        public Dictionary<string, TreeNode>? Old { get; set; }
    }

    /// <summary>A node in walk order, from the walk's <see cref="Entry"/>; a file's content is found when its directory is finished.</summary>
    private readonly record struct Slot(TreeNode Node, TreeEntry Entry);
}
