using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;

namespace Backup.Core.Snapshots;

/// <summary>
/// The walk of <see cref="SnapshotReader.ListInBatchesAsync(SnapshotObject, RestoreSelection, CancellationToken)"/>: cuts a snapshot's entries into <see cref="RestoreBatch"/>es
/// of about <see cref="_batchFiles"/> files or <see cref="MaxBatchChunks"/> chunks, handed on when the walk leaves a
/// tree, so that a restore holds a few batches and the directories being walked, never the whole listing. It checks
/// what <see cref="RestorePlan.Create(IEnumerable{RestoreEntry}, RestoreSelection)"/> checks: every name (one
/// component), no name twice in a tree, a symlink target within <see cref="RestorePlan.MaxLinkTarget"/>, no more files
/// or directories than the snapshot recorded. A directory the selection leaves out is created only when something
/// below it is selected, and a directory gets its metadata (<see cref="RestoreBatch.Finished"/>) in the batch after
/// which nothing more is written into it. Called on the walking thread only.
/// </summary>
internal sealed class RestoreBatchVisitor(
    ChunkId root, (long Files, long Directories) recorded, RestoreSelection selection, ChannelWriter<RestoreBatch> output, int batchFiles)
    : ITreeVisitor
{
    /// <summary>Chunks in one batch at most (unless one file has more): 65,536, about 4 MiB of chunk ids and plan.</summary>
    internal const int MaxBatchChunks = 1 << 16;

    private readonly int _batchFiles = Math.Max(1, batchFiles);

    // Directories visited and not yet left, by path: whether they are created yet, and their entry for the metadata.
    private readonly Dictionary<string, (RestoreEntry Entry, bool Created)> _open = new(StringComparer.Ordinal);

    // The first path written of each hard-link group: later names link to it.
    private readonly Dictionary<string, string> _linkTargets = new(StringComparer.Ordinal);

    private readonly TreeNodeCheck _check = new(root, recorded);
    private RestoreBatch _batch = new();

    public bool Enter(ChunkId tree, string path) => true;

    public void Unreadable(ChunkId tree, string path, InvalidDataException error) => ExceptionDispatchInfo.Throw(error);

    public string? Visit(string path, TreeNode node)
    {
        var (child, type) = _check.Check(path, node);
        if (type == FileType.Other)
        {
            return null;
        }
        var entry = new RestoreEntry(child, type, node.Mode & 0xFFF, node.MtimeNs, node.Size, SourceOf(type, node, child))
        {
            HardLinkGroup = SnapshotReader.HardLinkGroupOf(node),
            Xattrs = node.DecodeXattrs(),
            Owner = (node.Uid, node.Gid),
        };
        if (type == FileType.Directory)
        {
            _open.Add(child, (entry, false));
            if (selection.IsSelected(child))
            {
                Create(child);
            }
            if (node.Subtree is null)
            {
                Left(child); // nothing to walk below it
                return null;
            }
            return child + "/";
        }
        if (selection.IsSelected(child))
        {
            Create(path.Length == 0 ? "" : path[..^1]);
            Add(entry);
        }
        return null;
    }

    public async ValueTask LeaveAsync(string path, CancellationToken cancellationToken)
    {
        if (path.Length > 0)
        {
            Left(path[..^1]);
        }
        if (_batch.Files.Count + _batch.HardLinks.Count + _batch.Symlinks.Count >= _batchFiles || _batch.Pieces >= MaxBatchChunks)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>Hands on the batch gathered so far, if it holds anything; waits while the restore is a batch behind.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_batch.IsEmpty)
        {
            return;
        }
        var full = _batch;
        _batch = new RestoreBatch();
        await output.WriteAsync(full, cancellationToken);
    }

    private static object SourceOf(FileType type, TreeNode node, string child) => type switch
    {
        FileType.File => SnapshotReader.ContentOf(node, child),
        FileType.Symlink => node.Target ?? [],
        _ => Array.Empty<ChunkId>(),
    };

    private void Add(RestoreEntry entry)
    {
        if (entry.Type == FileType.Symlink)
        {
            _batch.Symlinks.Add(entry);
            return;
        }
        if (entry.HardLinkGroup is { } group)
        {
            if (_linkTargets.TryGetValue(group, out var first))
            {
                _batch.HardLinks.Add(new HardLink(entry, first));
                return;
            }
            _linkTargets.Add(group, entry.Path);
        }
        _batch.Files.Add(entry);
        _batch.Pieces += ((ChunkId[])entry.Source).Length;
    }

    /// <summary>Creates the directory <paramref name="path"/> ("" is the target) and those above it, when not created yet.</summary>
    private void Create(string path)
    {
        if (path.Length == 0 || !_open.TryGetValue(path, out var open) || open.Created)
        {
            return;
        }
        var cut = path.LastIndexOf('/');
        Create(cut < 0 ? "" : path[..cut]);
        _open[path] = (open.Entry, true);
        _batch.Directories.Add(open.Entry);
    }

    /// <summary>Every entry below <paramref name="path"/> is in this batch or an earlier one: it gets its metadata after this one.</summary>
    private void Left(string path)
    {
        if (_open.Remove(path, out var open) && open.Created)
        {
            _batch.Finished.Add(open.Entry);
        }
    }
}
