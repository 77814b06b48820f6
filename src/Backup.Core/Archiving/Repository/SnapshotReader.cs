using System.Runtime.CompilerServices;
using Backup.Core.Posix;
using Backup.Core.Restore;

namespace Backup.Core.Archiving.Repository;

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

    /// <summary>Every entry below <paramref name="root"/>, parents before children, with '/'-joined relative paths.</summary>
    public async Task<List<RestoreEntry>> ListAsync(ChunkId root, CancellationToken cancellationToken)
    {
        var entries = new List<RestoreEntry>();
        var pending = new Stack<(string Prefix, ChunkId Tree)>();
        pending.Push(("", root));
        while (pending.Count > 0)
        {
            var (prefix, id) = pending.Pop();
            var tree = await _repository.LoadTreeAsync(id, cancellationToken);
            foreach (var node in tree.Nodes)
            {
                var path = prefix + CheckedName(node.Name, prefix);
                var type = node.Type switch { "file" => FileType.File, "dir" => FileType.Directory, "symlink" => FileType.Symlink, _ => FileType.Other };
                if (type == FileType.Other)
                {
                    continue;
                }
                entries.Add(new RestoreEntry(path, type, node.Mode & 0xFFF, node.MtimeNs, node.Size, node)
                {
                    HardLinkGroup = HardLinkGroupOf(node),
                    Xattrs = node.DecodeXattrs(),
                    Owner = (node.Uid, node.Gid),
                });
                if (type == FileType.Directory && node.Subtree is not null)
                {
                    pending.Push((path + "/", ChunkId.Parse(node.Subtree)));
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
                    ahead.Enqueue(Task.Run(() => _repository.LoadPooledBlobAsync(id, cancellationToken), cancellationToken));
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

    private static string CheckedName(byte[] raw, string prefix)
    {
        var shown = prefix + EntryName.Escape(raw);
        if (raw.Length == 0 || raw.AsSpan().IndexOf((byte)'/') >= 0 || raw.AsSpan().IndexOf((byte)0) >= 0
            || raw.AsSpan().SequenceEqual("."u8) || raw.AsSpan().SequenceEqual(".."u8))
        {
            throw new UnsafeArchiveException(shown, "is not a single file name");
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
