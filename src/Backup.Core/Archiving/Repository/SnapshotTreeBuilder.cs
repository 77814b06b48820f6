using System.Threading.Channels;
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
internal sealed class SnapshotTreeBuilder
{
    private readonly Repository _repository;
    private readonly ChunkId? _parentRoot;
    private readonly Action<TreeProblem> _onProblem;
    private readonly int _workers = Environment.ProcessorCount;

    public SnapshotTreeBuilder(Repository repository, ChunkId? parentRoot, Action<TreeProblem> onProblem)
    {
        _repository = repository;
        _parentRoot = parentRoot;
        _onProblem = onProblem;
    }

    public long Files { get; private set; }
    public long Directories { get; private set; }
    public long Bytes { get; private set; }
    public long NewChunks { get; private set; }
    public long NewBytes { get; private set; }

    public async Task<ChunkId> BuildAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
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
            if (entry.Type == FileType.Directory && entry.FullPath is not null)
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
        return await _repository.SaveTreeAsync(new TreeObject { Nodes = stack.Pop().Nodes }, cancellationToken);
    }

    private async Task CloseAsync(Stack<Frame> stack, CancellationToken cancellationToken)
    {
        var frame = stack.Pop();
        var id = await _repository.SaveTreeAsync(new TreeObject { Nodes = frame.Nodes }, cancellationToken);
        var s = frame.Entry!.Status;
        stack.Peek().Nodes.Add(new TreeNode
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
        });
        Directories++;
    }

    private async Task<TreeNode?> NodeAsync(TreeEntry entry, byte[] name, TreeNode? previous, CancellationToken cancellationToken)
    {
        var s = entry.Status;
        var node = new TreeNode
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
        if (entry.Type == FileType.Directory)
        {
            // Directories with a decodable name were pushed as frames by the caller; this one cannot be opened.
            _onProblem(new TreeProblem(entry.DisplayPath, "name is not valid UTF-8; left out"));
            return null;
        }
        if (entry.Type != FileType.File)
        {
            return node;
        }
        if (entry.FullPath is null)
        {
            _onProblem(new TreeProblem(entry.DisplayPath, "name is not valid UTF-8; left out"));
            return null;
        }
        if (previous is { Type: "file", Content: not null } p && p.Size == s.Size && p.MtimeNs == s.MtimeNs && p.CtimeNs == s.CtimeNs && p.Inode == s.Inode)
        {
            Files++;
            Bytes += s.Size;
            return node with { Content = p.Content };
        }
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (content, status, why) = await ChunkFileAsync(entry, cancellationToken);
            if (content is not null)
            {
                Files++;
                Bytes += status.Size;
                return node with { Content = content, Size = status.Size, MtimeNs = status.MtimeNs, CtimeNs = status.CtimeNs, Mode = status.Mode };
            }
            if (attempt == 1 || why != "changed while being read")
            {
                _onProblem(new TreeProblem(entry.DisplayPath, why + "; left out"));
            }
        }
        return null;
    }

    /// <summary>Reads one file into chunks. Returns the chunk ids, or null and why when it could not be read consistently.</summary>
    private async Task<(List<string>? Content, FileStatus Status, string Why)> ChunkFileAsync(TreeEntry entry, CancellationToken cancellationToken)
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
            return (null, default, ShortReason(e));
        }
        using (handle)
        {
            if (before.Type != FileType.File)
            {
                return (null, before, "replaced while being backed up");
            }
            var saves = new List<Task<(ChunkId Id, bool New, long StoredBytes)>>();
            using var inFlight = new SemaphoreSlim(_workers * 2);
            // The stream does not own the handle's lifetime here: the handle is still needed for the second fstat.
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, bufferSize: 0);
            long read = 0;
            try
            {
                foreach (var chunk in _repository.Chunker.Split(stream))
                {
                    await inFlight.WaitAsync(cancellationToken);
                    var copy = chunk.ToArray();
                    read += copy.Length;
                    saves.Add(Task.Run(async () =>
                    {
                        try
                        {
                            return await _repository.SaveBlobAsync(BlobType.Data, copy, cancellationToken);
                        }
                        finally
                        {
                            inFlight.Release();
                        }
                    }, cancellationToken));
                }
            }
            catch (IOException e)
            {
                await Task.WhenAll(saves).ContinueWith(_ => { }, TaskScheduler.Default);
                return (null, before, ShortReason(e));
            }
            var results = await Task.WhenAll(saves);
            foreach (var r in results.Where(r => r.New))
            {
                NewChunks++;
                NewBytes += r.StoredBytes;
            }
            var after = PosixFile.Fstat(handle, entry.FullPath!);
            if (read != before.Size || after.DiffersFrom(before))
            {
                return (null, before, "changed while being read");
            }
            return ([.. results.Select(r => r.Id.ToString())], before, "");
        }
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

    private static string ShortReason(Exception e)
    {
        var message = e.Message;
        var cut = message.IndexOf(": /", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private sealed class Frame(byte[] path, TreeEntry? entry, Dictionary<string, TreeNode>? parent)
    {
        public byte[] Path { get; } = path;
        public TreeEntry? Entry { get; } = entry;
        public Dictionary<string, TreeNode>? Parent { get; } = parent;
        public List<TreeNode> Nodes { get; } = [];
    }
}
