using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;

namespace Backup.Core.Snapshots;

/// <summary>
/// Reads a snapshot's trees into restore entries (checking every name: one component, not '.', '..' or empty; a name
/// that is not UTF-8 is carried as <see cref="EntryName.Decode"/> escapes it) with their hard-link groups and extended
/// attributes, and serves file content chunk by chunk, each chunk authenticated and checked against its id. Thread-safe.
/// </summary>
public sealed class SnapshotReader : IRestoreSource
{
    private readonly Repository _repository;

    /// <summary>Creates a reader over <paramref name="repository"/>.</summary>
    public SnapshotReader(Repository repository) => _repository = repository;

    /// <summary>
    /// The most entries one listing expands, whatever the snapshot says: 2³⁰, the inodes of a 16 TiB ext4 file system
    /// made with the defaults (one per 16 KiB). A listing holds every entry in memory, about 300 bytes each.
    /// </summary>
    public const int MaxEntries = 1 << 30;

    /// <summary>
    /// Every entry of <paramref name="snapshot"/>, parents before children, with '/'-joined relative paths. A tree may
    /// be shared by many directories (identical directories deduplicate), and is expanded for each; so that a forged
    /// tree cannot expand without end, the listing holds at most as many files and directories as the snapshot
    /// recorded (<see cref="SnapshotObject.Files"/>, <see cref="SnapshotObject.Directories"/>, which count exactly what
    /// its trees list), and a tree that is its own ancestor is refused. Throws <see cref="InvalidDataException"/> naming
    /// the snapshot's tree and the path.
    /// </summary>
    public Task<List<RestoreEntry>> ListAsync(SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return ListAsync(ChunkId.ParseStored(snapshot.Tree, "snapshot"), cancellationToken, (snapshot.Files, snapshot.Directories));
    }

    /// <summary>
    /// Every entry below <paramref name="root"/>, parents before children, with '/'-joined relative paths: as
    /// <see cref="ListAsync(SnapshotObject, CancellationToken)"/>, bounded by <paramref name="recorded"/> when given and
    /// by <see cref="MaxEntries"/> always.
    /// </summary>
    public async Task<List<RestoreEntry>> ListAsync(ChunkId root, CancellationToken cancellationToken, (long Files, long Directories)? recorded = null) =>
        await ListAsync(root, recorded, nodes: true, cancellationToken);

    /// <summary>
    /// The entries of <paramref name="snapshot"/> as <see cref="ListAsync(SnapshotObject, CancellationToken)"/> lists
    /// them, keeping of each node only what a restore reads (a file's chunk ids, a link's target) rather than the node:
    /// a few hundred bytes less per file for the whole of the restore.
    /// </summary>
    public Task<List<RestoreEntry>> ListForRestoreAsync(SnapshotObject snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return ListAsync(ChunkId.ParseStored(snapshot.Tree, "snapshot"), (snapshot.Files, snapshot.Directories), nodes: false, cancellationToken);
    }

    /// <summary>Files in one batch of <see cref="ListInBatchesAsync(SnapshotObject, RestoreSelection, CancellationToken)"/> by default: 4,096, about 1.5 MiB of entries, paths and chunk ids.</summary>
    public const int DefaultBatchFiles = 4096;

    /// <summary>
    /// The entries of <paramref name="snapshot"/> that <paramref name="selection"/> selects, with the parents of those,
    /// checked as <see cref="ListForRestoreAsync"/> and <see cref="RestorePlan"/> check them, in batches of about
    /// <see cref="DefaultBatchFiles"/> files that a restore writes one after another (<see cref="RestoreBatch"/>). The
    /// trees are read one directory at a time while the caller writes the batch before: at most one batch waits
    /// ahead, so what is held does not grow with the snapshot. A hard-linked file's first name in walk order is
    /// written, the others linked to it. Throws, once the batches before it were handed on, what the listing throws.
    /// </summary>
    public IAsyncEnumerable<RestoreBatch> ListInBatchesAsync(SnapshotObject snapshot, RestoreSelection selection, CancellationToken cancellationToken) =>
        ListInBatchesAsync(snapshot, selection, DefaultBatchFiles, cancellationToken);

    /// <summary><see cref="ListInBatchesAsync(SnapshotObject, RestoreSelection, CancellationToken)"/> with batches of about <paramref name="batchFiles"/> files.</summary>
    internal async IAsyncEnumerable<RestoreBatch> ListInBatchesAsync(
        SnapshotObject snapshot, RestoreSelection selection, int batchFiles, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(selection);
        var root = ChunkId.ParseStored(snapshot.Tree, "snapshot");
        var channel = Channel.CreateBounded<RestoreBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var visitor = new RestoreBatchVisitor(root, (snapshot.Files, snapshot.Directories), selection, channel.Writer, batchFiles);
        var walk = Task.Run(async () =>
        {
            try
            {
                await SnapshotWalker.WalkAsync(_repository, root, "", visitor, stop.Token);
                await visitor.FlushAsync(stop.Token);
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return batch;
            }
            await walk; // the walk's own failure, after the batches it handed on
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAny(walk); // a restore that stopped early reports its own error, not the walk's
        }
    }

    /// <summary>
    /// The entries of the one tree <paramref name="tree"/>, without what lies below its directories: one tree loaded,
    /// whatever the size of the subtrees (what a page browsing a folder needs). Names are checked as <see cref="ListAsync(ChunkId, CancellationToken, ValueTuple{long, long}?)"/>
    /// checks them; throws <see cref="InvalidDataException"/> for a tree that cannot be read.
    /// </summary>
    public async Task<List<RestoreEntry>> ListChildrenAsync(ChunkId tree, CancellationToken cancellationToken)
    {
        var listing = new Listing(tree, null, nodes: false, shallow: true);
        await SnapshotWalker.WalkAsync(_repository, tree, "", listing, cancellationToken);
        return listing.Entries;
    }

    private async Task<List<RestoreEntry>> ListAsync(ChunkId root, (long Files, long Directories)? recorded, bool nodes, CancellationToken cancellationToken)
    {
        var listing = new Listing(root, recorded, nodes);
        await SnapshotWalker.WalkAsync(_repository, root, "", listing, cancellationToken);
        return listing.Entries;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Loads up to one chunk per core ahead of the one being written, so that a large file is decrypted and decompressed
    /// on every core while it is written, not one chunk at a time.
    /// </remarks>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var ids = ChunksOf(file);
        var ahead = new Queue<Task<PooledBlob>>();
        var next = 0;
        try
        {
            while (next < ids.Length || ahead.Count > 0)
            {
                while (next < ids.Length && ahead.Count < Environment.ProcessorCount)
                {
                    var id = ids[next++];
                    ahead.Enqueue(Task.Run(() => _repository.LoadPooledBlobAsync(id, cancellationToken, BlobType.Data), cancellationToken));
                }
                // The caller is done with a piece when it asks for the next one: then its array goes back to the pool.
                using var blob = await ahead.Dequeue();
                yield return blob.Memory;
            }
        }
        finally
        {
            // Abandoned early (an error elsewhere, cancellation): let the loads still running finish, and give their
            // arrays back, before returning.
            foreach (var load in ahead)
            {
                try
                {
                    (await load).Dispose();
                }
                catch (Exception e) when (e is InvalidDataException or IOException or OperationCanceledException or UnauthorizedAccessException)
                {
                    // The error that stopped the restore is the one reported.
                }
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// By the pack and offset of each file's first chunk: the packs are read one after another, each front to back, and
    /// within a pack files come in the order the backup read them. Empty files, and files whose first chunk the index
    /// does not know (their restore reports it), come first.
    /// </remarks>
    public IReadOnlyList<RestoreEntry> InReadOrder(IReadOnlyList<RestoreEntry> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var keys = new (string Pack, uint Offset)[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            var content = ChunksOf(files[i]);
            keys[i] = content.Length > 0 && _repository.Index.Find(content[0]) is { } found
                ? (found.Pack, found.Entry.Offset)
                : ("", 0);
        }
        var order = Enumerable.Range(0, files.Count).ToArray();
        Array.Sort(order, (a, b) => string.CompareOrdinal(keys[a].Pack, keys[b].Pack) is var c and not 0 ? c : keys[a].Offset.CompareTo(keys[b].Offset));
        return [.. order.Select(i => files[i])];
    }

    /// <inheritdoc/>
    /// <remarks>Pack by pack (<see cref="PackOrderedContent"/>): each needed part of a pack is read once, in a few large range reads.</remarks>
    public Task WriteContentsAsync(IReadOnlyList<RestoreEntry> files, IContentSink sink, int parallelism, CancellationToken cancellationToken) =>
        PackOrderedContent.WriteAsync(_repository, files, ChunksOf, sink, parallelism, cancellationToken);

    /// <inheritdoc/>
    public Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        return Task.FromResult(link.Source switch
        {
            byte[] target => target,
            TreeNode node => node.Target ?? [],
            _ => [],
        });
    }

    /// <summary>The chunk ids of a file listed by either listing.</summary>
    internal static ChunkId[] ChunksOf(RestoreEntry file) => file.Source switch
    {
        ChunkId[] ids => ids,
        TreeNode node => ContentOf(node, file.Path),
        _ => [],
    };

    internal static ChunkId[] ContentOf(TreeNode node, string path) =>
        node.Content is { Count: > 0 } content ? [.. content.Select(hex => ChunkId.ParseStored(hex, $"the node of {Shown(path)}"))] : [];

    internal static string Shown(string path) => path.Length == 0 ? "/" : EntryName.Escape(path);

    internal static string CheckedName(byte[] raw, string prefix)
    {
        var shown = prefix + EntryName.Escape(raw);
        if (raw.Length == 0 || raw.AsSpan().IndexOf((byte)'/') >= 0 || raw.AsSpan().IndexOf((byte)0) >= 0
            || raw.AsSpan().SequenceEqual("."u8) || raw.AsSpan().SequenceEqual(".."u8))
        {
            throw new UnsafeArchiveException(shown, "is not a single file name");
        }
        if (raw.Length > RestorePlan.MaxComponent)
        {
            throw new UnsafeArchiveException(shown, $"has a name of more than {RestorePlan.MaxComponent} bytes (NAME_MAX)");
        }
        return EntryName.Decode(raw);
    }

    /// <summary>
    /// Files with links are one file when device, inode and ctime agree (docs/repository.md): the ctime keeps apart
    /// nodes of one inode read at different times (a file changed between two of its links, or a reused old tree). The
    /// size is there only as a last guard.
    /// </summary>
    internal static string? HardLinkGroupOf(TreeNode node) =>
        node is { Type: "file", Links: > 1 } ? $"{node.Device}:{node.Inode}:{node.CtimeNs}:{node.Size}" : null;

    /// <summary>The walk of <see cref="ListAsync(ChunkId, CancellationToken, ValueTuple{long, long}?)"/>: paths are relative, a directory's ending in '/'.</summary>
    private sealed class Listing(ChunkId root, (long Files, long Directories)? recorded, bool nodes, bool shallow = false) : ITreeVisitor
    {
        private static readonly object s_directory = new();
        private long _files;
        private long _directories;

        public List<RestoreEntry> Entries { get; } = [];

        public bool Enter(ChunkId tree, string path) => true;

        public void Unreadable(ChunkId tree, string path, InvalidDataException error) => ExceptionDispatchInfo.Throw(error);

        public string? Visit(string path, TreeNode node)
        {
            var child = path + CheckedName(node.Name, path);
            var type = node.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
            if (type == FileType.Other)
            {
                return null;
            }
            if ((type == FileType.File && ++_files > recorded?.Files) || (type == FileType.Directory && ++_directories > recorded?.Directories))
            {
                throw new InvalidDataException(
                    $"tree {root} lists more {(type == FileType.File ? "files" : "directories")} than its snapshot recorded ({recorded?.Files} files, {recorded?.Directories} directories), at {Shown(child)}: a tree is damaged or forged");
            }
            if (Entries.Count >= MaxEntries)
            {
                throw new InvalidDataException($"tree {root} lists more than {MaxEntries} entries, at {Shown(child)}: more than a file system holds");
            }
            object source = nodes ? node : type switch
            {
                FileType.File => ContentOf(node, child),
                FileType.Symlink => node.Target ?? [],
                _ => s_directory,
            };
            Entries.Add(new RestoreEntry(child, type, node.Mode & 0xFFF, node.MtimeNs, node.Size, source)
            {
                HardLinkGroup = HardLinkGroupOf(node),
                Xattrs = node.DecodeXattrs(),
                Owner = (node.Uid, node.Gid),
            });
            return type == FileType.Directory && !shallow ? child + "/" : null;
        }
    }
}
