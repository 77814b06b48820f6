using System.Runtime.CompilerServices;
using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
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
    public async Task<List<RestoreEntry>> ListAsync(ChunkId root, CancellationToken cancellationToken, (long Files, long Directories)? recorded = null)
    {
        var entries = new List<RestoreEntry>();
        long files = 0, directories = 0;
        var pending = new Stack<(string Prefix, ChunkId Tree, Ancestor? Above)>();
        pending.Push(("", root, null));
        while (pending.Count > 0)
        {
            var (prefix, id, above) = pending.Pop();
            for (var a = above; a is not null; a = a.Above)
            {
                if (a.Tree == id)
                {
                    // Tree ids are keyed hashes of their content, so only a forged id can point back up.
                    throw new InvalidDataException($"tree {id} of {Shown(prefix)} is its own ancestor (a cycle): the snapshot is damaged or forged");
                }
            }
            var tree = await _repository.LoadTreeAsync(id, cancellationToken);
            var here = new Ancestor(id, above);
            foreach (var node in tree.Nodes)
            {
                var path = prefix + CheckedName(node.Name, prefix);
                var type = node.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
                if (type == FileType.Other)
                {
                    continue;
                }
                if ((type == FileType.File && ++files > recorded?.Files) || (type == FileType.Directory && ++directories > recorded?.Directories))
                {
                    throw new InvalidDataException(
                        $"tree {root} lists more {(type == FileType.File ? "files" : "directories")} than its snapshot recorded ({recorded?.Files} files, {recorded?.Directories} directories), at {Shown(path)}: a tree is damaged or forged");
                }
                if (entries.Count >= MaxEntries)
                {
                    throw new InvalidDataException($"tree {root} lists more than {MaxEntries} entries, at {Shown(path)}: more than a file system holds");
                }
                entries.Add(new RestoreEntry(path, type, node.Mode & 0xFFF, node.MtimeNs, node.Size, node)
                {
                    HardLinkGroup = HardLinkGroupOf(node),
                    Xattrs = node.DecodeXattrs(),
                    Owner = (node.Uid, node.Gid),
                });
                if (type == FileType.Directory && node.Subtree is not null)
                {
                    pending.Push((path + "/", ChunkId.Parse(node.Subtree), here));
                }
            }
        }
        return entries;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Loads up to one chunk per core ahead of the one being written, so that a large file is decrypted and decompressed
    /// on every core while it is written, not one chunk at a time.
    /// </remarks>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var ids = ((TreeNode)file.Source).Content ?? [];
        var ahead = new Queue<Task<PooledBlob>>();
        var next = 0;
        try
        {
            while (next < ids.Count || ahead.Count > 0)
            {
                while (next < ids.Count && ahead.Count < Environment.ProcessorCount)
                {
                    var id = ChunkId.Parse(ids[next++]);
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
    public Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        return Task.FromResult(((TreeNode)link.Source).Target ?? []);
    }

    private static string Shown(string path) => path.Length == 0 ? "/" : EntryName.Escape(path);

    /// <summary>A tree on the path from the root to the directory being listed.</summary>
    private sealed record Ancestor(ChunkId Tree, Ancestor? Above);

    private static string CheckedName(byte[] raw, string prefix)
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
    private static string? HardLinkGroupOf(TreeNode node) =>
        node is { Type: "file", Links: > 1 } ? $"{node.Device}:{node.Inode}:{node.CtimeNs}:{node.Size}" : null;
}
