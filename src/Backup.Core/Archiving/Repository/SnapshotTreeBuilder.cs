using System.Buffers;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Repository;

/// <summary>
/// Turns a walk into trees, bottom-up: each directory's nodes are collected in walk order and stored as a tree when the
/// walk leaves it. A file whose size, mtime, ctime and inode equal its node in the parent snapshot keeps that node's
/// chunk list unread; other files are chunked, and chunks are hashed, compressed and sealed on every core with a
/// bounded number in flight. A file that changes while read is read once more, then left out and reported.
/// </summary>
internal sealed class SnapshotTreeBuilder : IDisposable
{
    private readonly Repository _repository;
    private readonly ChunkId? _parentRoot;
    private readonly Action<TreeProblem> _onProblem;
    private readonly NodeMetadata _metadata;
    private readonly HardLinkMemo _hardLinks = new();
    // Chunks handed to the pool and not yet packed: bounds memory to this many chunks (8 MiB at most each).
    private readonly SemaphoreSlim _inFlight = new(Environment.ProcessorCount * 2);
    private readonly List<Task> _saves = [];
    private byte[]? _splitBuffer;
    private long _newChunks;
    private long _newBytes;

    public SnapshotTreeBuilder(Repository repository, ChunkId? parentRoot, Action<TreeProblem> onProblem)
    {
        _repository = repository;
        _parentRoot = parentRoot;
        _onProblem = onProblem;
        _metadata = new NodeMetadata(onProblem);
    }

    public long Files { get; private set; }
    public long Directories { get; private set; }
    public long Bytes { get; private set; }
    public long NewChunks => Interlocked.Read(ref _newChunks);
    public long NewBytes => Interlocked.Read(ref _newBytes);

    public async Task<ChunkId> BuildAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
    {
        try
        {
            return await BuildTreesAsync(walk, cancellationToken);
        }
        finally
        {
            // On failure or cancellation, let the saves still running end before the repository can be disposed.
            await Task.WhenAll(_saves).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task<ChunkId> BuildTreesAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame([], null, await LoadParentAsync(_parentRoot, cancellationToken)));
        foreach (var entry in walk)
        {
            while (!IsParentOf(stack.Peek().Path, entry.RelativePathBytes))
            {
                await CloseAsync(stack, cancellationToken);
            }
            var frame = stack.Peek();
            var name = NameOf(entry.RelativePathBytes);
            var previous = frame.Parent?.GetValueOrDefault(Convert.ToBase64String(name));
            if (entry.Type == FileType.Directory)
            {
                var subtree = previous?.Subtree is { } s ? ChunkId.Parse(s) : (ChunkId?)null;
                stack.Push(new Frame(entry.RelativePathBytes, entry, await LoadParentAsync(subtree, cancellationToken)));
                continue;
            }
            var node = await NodeAsync(entry, name, previous, cancellationToken);
            if (node is not null)
            {
                frame.Nodes.Add(node);
            }
        }
        while (stack.Count > 1)
        {
            await CloseAsync(stack, cancellationToken);
        }
        await Task.WhenAll(_saves);
        return await _repository.SaveTreeAsync(new TreeObject { Nodes = stack.Pop().Nodes }, cancellationToken);
    }

    private async Task CloseAsync(Stack<Frame> stack, CancellationToken cancellationToken)
    {
        var frame = stack.Pop();
        var id = await _repository.SaveTreeAsync(new TreeObject { Nodes = frame.Nodes }, cancellationToken);
        var s = frame.Entry!.Status;
        stack.Peek().Nodes.Add(_metadata.Describe(new TreeNode
        {
            Name = NameOf(frame.Path),
            Type = "dir",
            Mode = s.Mode,
            Uid = s.Uid,
            Gid = s.Gid,
            MtimeNs = s.MtimeNs,
            CtimeNs = s.CtimeNs,
            Inode = s.Inode,
            Device = s.Device,
            Subtree = id.ToString(),
        }, frame.Entry));
        Directories++;
    }

    private async Task<TreeNode?> NodeAsync(TreeEntry entry, byte[] name, TreeNode? previous, CancellationToken cancellationToken)
    {
        var s = entry.Status;
        var node = _metadata.Describe(new TreeNode
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
        }, entry);
        if (entry.Type != FileType.File)
        {
            return node;
        }
        if (_hardLinks.Find(s) is { } link)
        {
            Files++;
            Bytes += s.Size;
            return node with { Content = link.Content, Xattrs = link.Xattrs };
        }
        if (previous is { Type: "file", Content: not null } p && p.Size == s.Size && p.MtimeNs == s.MtimeNs && p.CtimeNs == s.CtimeNs && p.Inode == s.Inode)
        {
            Files++;
            Bytes += s.Size;
            return _hardLinks.Remember(node with { Content = p.Content, Xattrs = _metadata.XattrsOf(entry) }, s);
        }
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (content, status, why, xattrs) = await ChunkFileAsync(entry, cancellationToken);
            if (content is not null)
            {
                Files++;
                Bytes += status.Size;
                return _hardLinks.Remember(
                    node with { Content = content, Size = status.Size, MtimeNs = status.MtimeNs, CtimeNs = status.CtimeNs, Mode = status.Mode, Xattrs = xattrs },
                    status);
            }
            if (attempt == 1 || why != "changed while being read")
            {
                _onProblem(new TreeProblem(entry.DisplayPath, why + "; left out"));
            }
        }
        return null;
    }

    /// <summary>
    /// Reads one file into chunks. Chunking and chunk ids happen here, in walk order; compressing, sealing and packing
    /// new chunks run on the thread pool, at most <c>2 × cores</c> at once, and are awaited when the snapshot ends.
    /// Returns the chunk ids and extended attributes, or null and why when the file could not be read consistently.
    /// </summary>
    private async Task<(List<string>? Content, FileStatus Status, string Why, List<byte[][]>? Xattrs)> ChunkFileAsync(TreeEntry entry, CancellationToken cancellationToken)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        FileStatus before;
        try
        {
            handle = PosixFile.OpenForReading(entry.FullPath!);
            before = PosixFile.Fstat(handle, entry.FullPath!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, default, TreeProblem.ReasonOf(e), null);
        }
        using (handle)
        {
            if (before.Type != FileType.File)
            {
                return (null, before, "replaced while being backed up", null);
            }
            var ids = new List<string>();
            long read = 0;
            // The stream must not own the handle: it is still needed for the second fstat.
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, bufferSize: 0);
            try
            {
                foreach (var chunk in _repository.Chunker.Split(stream, _splitBuffer ??= new byte[_repository.Chunker.Parameters.MaxSize * 2]))
                {
                    var id = _repository.IdOf(chunk.Span);
                    ids.Add(id.ToString());
                    read += chunk.Length;
                    if (_repository.TryClaim(id))
                    {
                        var copy = _repository.Buffers.Rent(chunk.Length);
                        chunk.CopyTo(copy);
                        await StoreAsync(id, copy, chunk.Length, cancellationToken);
                    }
                }
            }
            catch (IOException e)
            {
                return (null, before, TreeProblem.ReasonOf(e), null);
            }
            // Read before the second fstat: an attribute changed meanwhile changes the ctime, so the file is read again.
            var xattrs = _metadata.XattrsOf(handle, entry);
            var after = PosixFile.Fstat(handle, entry.FullPath!);
            if (read != before.Size || after.DiffersFrom(before))
            {
                return (null, before, "changed while being read", null);
            }
            return (ids, before, "", xattrs);
        }
    }

    /// <summary>Stores a claimed chunk on the pool; <paramref name="plaintext"/> is rented and returned when stored.</summary>
    private async Task StoreAsync(ChunkId id, byte[] plaintext, int length, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken);
        if (_saves.Count >= 256)
        {
            // Observe finished saves (their errors surface here) and keep the list short.
            foreach (var done in _saves.Where(t => t.IsCompleted).ToList())
            {
                await done;
                _saves.Remove(done);
            }
        }
        _saves.Add(Task.Run(async () =>
        {
            try
            {
                var stored = await _repository.StoreClaimedAsync(BlobType.Data, id, plaintext.AsMemory(0, length), cancellationToken);
                Interlocked.Increment(ref _newChunks);
                Interlocked.Add(ref _newBytes, stored);
            }
            finally
            {
                _repository.Buffers.Return(plaintext);
                _inFlight.Release();
            }
        }, CancellationToken.None));
    }

    public void Dispose() => _inFlight.Dispose();

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

    private static bool IsParentOf(byte[] directory, byte[] path)
    {
        var cut = Array.LastIndexOf(path, (byte)'/');
        return cut < 0 ? directory.Length == 0 : path.AsSpan(0, cut).SequenceEqual(directory);
    }

    private static byte[] NameOf(byte[] path)
    {
        var cut = Array.LastIndexOf(path, (byte)'/');
        return cut < 0 ? path : path[(cut + 1)..];
    }


    private sealed class Frame(byte[] path, TreeEntry? entry, Dictionary<string, TreeNode>? parent)
    {
        public byte[] Path { get; } = path;
        public TreeEntry? Entry { get; } = entry;
        public Dictionary<string, TreeNode>? Parent { get; } = parent;
        public List<TreeNode> Nodes { get; } = [];
    }
}
