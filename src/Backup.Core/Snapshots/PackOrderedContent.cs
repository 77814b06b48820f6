using Backup.Core.Buffers;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Storage;

namespace Backup.Core.Snapshots;

/// <summary>
/// Restores the content of many files pack by pack (docs/repository.md, "Restore"): every chunk the files need is
/// looked up once, the needed parts of each pack are read in a few large range reads, in the order the files need the
/// packs, and each chunk, opened once, is written to every file offset that holds it. A range read covers needed chunks
/// whose gaps are at most <see cref="MaxGap"/> and is at most <see cref="MaxRead"/> long (a longer chunk is read alone),
/// so the data in flight is at most the parallelism times that. A file completes when its last chunk is written; a file
/// with a chunk that cannot be read fails alone.
/// </summary>
internal sealed class PackOrderedContent
{
    /// <summary>Needed chunks this close are read in one request: reading 1 MiB more costs about what a request does on S3 or SFTP, and little locally.</summary>
    internal const int MaxGap = 1 << 20;

    /// <summary>
    /// The longest range read: 4 MiB, a quarter of a pack. On the real corpus's full restore (bench/README.md) 8 MiB took
    /// about 9 MiB more peak RSS than 4 and was no faster; 2 MiB saved 5 more but reads through a 1 MiB gap would then
    /// be half of some reads.
    /// </summary>
    internal const int MaxRead = 4 << 20;

    private readonly Repository _repository;
    private readonly IReadOnlyList<RestoreEntry> _files;
    private readonly Func<RestoreEntry, ChunkId[]> _chunksOf;
    private readonly IContentSink _sink;
    private readonly List<string> _packs = [];
    private readonly List<Use> _uses = [];
    private readonly List<ReadRange> _ranges = [];
    private readonly int[] _remaining;
    private readonly long[] _sizes;

    private PackOrderedContent(Repository repository, IReadOnlyList<RestoreEntry> files, Func<RestoreEntry, ChunkId[]> chunksOf, IContentSink sink)
    {
        _repository = repository;
        _files = files;
        _chunksOf = chunksOf;
        _sink = sink;
        _remaining = new int[files.Count];
        _sizes = new long[files.Count];
    }

    /// <summary>
    /// Writes the content of <paramref name="files"/> (whose chunk ids <paramref name="chunksOf"/> gives) to
    /// <paramref name="sink"/>, with at most <paramref name="parallelism"/> range reads at once. Errors of the sink are
    /// thrown; damage fails only the files it touches.
    /// </summary>
    public static async Task WriteAsync(
        Repository repository, IReadOnlyList<RestoreEntry> files, Func<RestoreEntry, ChunkId[]> chunksOf, IContentSink sink, int parallelism,
        CancellationToken cancellationToken)
    {
        var content = new PackOrderedContent(repository, files, chunksOf, sink);
        content.Plan();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };
        // Parallel.ForEachAsync takes the ranges from one shared enumerator: they start in order, so files complete, and
        // close, in about the order they were planned.
        await Parallel.ForEachAsync(content._ranges, options, async (range, token) => await content.ReadAsync(range, token));
    }

    /// <summary>
    /// Looks up every chunk of every file, fails the files with a chunk the index does not know (or knows as a tree),
    /// completes the empty ones, and cuts the rest into range reads.
    /// </summary>
    private void Plan()
    {
        var packNumbers = new Dictionary<string, int>(StringComparer.Ordinal);
        long uses = 0;
        foreach (var file in _files)
        {
            uses += _chunksOf(file).Length;
        }
        _uses.Capacity = (int)Math.Min(uses, Array.MaxLength); // sized once: doubling would hold half as much again meanwhile
        for (var file = 0; file < _files.Count; file++)
        {
            var ids = _chunksOf(_files[file]);
            var first = _uses.Count;
            long offset = 0;
            try
            {
                for (var chunk = 0; chunk < ids.Length; chunk++)
                {
                    var (pack, entry) = _repository.Locate(ids[chunk], BlobType.Data);
                    if (!packNumbers.TryGetValue(pack, out var number))
                    {
                        number = _packs.Count;
                        packNumbers.Add(pack, number);
                        _packs.Add(pack);
                    }
                    _uses.Add(new Use(number, entry.Offset, entry.Length, file, chunk, offset));
                    offset += entry.RawLength;
                }
            }
            catch (InvalidDataException e)
            {
                _uses.RemoveRange(first, _uses.Count - first);
                _sink.Fail(file, e);
                continue;
            }
            _sizes[file] = offset;
            _remaining[file] = ids.Length;
            if (ids.Length == 0)
            {
                _sink.Complete(file, 0);
            }
        }
        // Packs in the order the files first need them, each front to back; the uses of one chunk side by side.
        _uses.Sort(static (a, b) => a.Pack != b.Pack ? a.Pack.CompareTo(b.Pack) : a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.File.CompareTo(b.File));
        CutRanges();
    }

    private void CutRanges()
    {
        var i = 0;
        while (i < _uses.Count)
        {
            var start = i;
            var begin = (long)_uses[i].Offset;
            var end = begin + _uses[i].Length;
            i++;
            while (i < _uses.Count && _uses[i].Pack == _uses[start].Pack)
            {
                var next = _uses[i];
                var nextEnd = Math.Max(end, (long)next.Offset + next.Length);
                if (next.Offset > end + MaxGap || nextEnd - begin > MaxRead)
                {
                    break;
                }
                end = nextEnd;
                i++;
            }
            _ranges.Add(new ReadRange(start, i, begin, (int)(end - begin)));
        }
    }

    private async Task ReadAsync(ReadRange range, CancellationToken cancellationToken)
    {
        var pack = _packs[_uses[range.First].Pack];
        var buffer = _repository.Buffers.Rent(range.Length);
        try
        {
            try
            {
                await _repository.Store.ReadRangeAsync(BlobKind.Pack, pack, range.Offset, buffer.Memory[..range.Length], cancellationToken);
            }
            catch (Exception e) when (RestoreExecutor.IsDamage(e) && !cancellationToken.IsCancellationRequested)
            {
                var error = new InvalidDataException($"pack {pack} cannot be read at {range.Offset} (+{range.Length}): {e.Message}", e);
                for (var i = range.First; i < range.End; i++)
                {
                    _sink.Fail(_uses[i].File, error);
                }
                return;
            }
            var use = range.First;
            while (use < range.End)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var end = use + 1;
                while (end < range.End && _uses[end].Offset == _uses[use].Offset && IdOf(_uses[end]) == IdOf(_uses[use]))
                {
                    end++;
                }
                WriteChunk(pack, buffer.Span.Slice((int)(_uses[use].Offset - range.Offset), (int)_uses[use].Length), use, end);
                use = end;
            }
        }
        finally
        {
            _repository.Buffers.Return(buffer);
        }
    }

    /// <summary>Opens the chunk of uses <paramref name="first"/> to <paramref name="end"/> (one chunk) and writes it where each needs it.</summary>
    private void WriteChunk(string pack, ReadOnlySpan<byte> sealedChunk, int first, int end)
    {
        var id = IdOf(_uses[first]);
        PooledBlob? chunk = null;
        try
        {
            try
            {
                // Looked up again rather than kept per use: the plan stays at 32 bytes a use.
                var (_, entry) = _repository.Locate(id, BlobType.Data);
                chunk = _repository.OpenSealedBlob(pack, entry, sealedChunk);
            }
            catch (InvalidDataException e)
            {
                for (var i = first; i < end; i++)
                {
                    _sink.Fail(_uses[i].File, e);
                }
                return;
            }
            for (var i = first; i < end; i++)
            {
                var use = _uses[i];
                _sink.Write(use.File, use.FileOffset, chunk.Span);
                if (Interlocked.Decrement(ref _remaining[use.File]) == 0)
                {
                    _sink.Complete(use.File, _sizes[use.File]);
                }
            }
        }
        finally
        {
            chunk?.Dispose();
        }
    }

    private ChunkId IdOf(Use use) => _chunksOf(_files[use.File])[use.Chunk];

    /// <summary>One place a chunk goes: the chunk (by pack, offset and sealed length, and by its position in the file's list) and the file and offset.</summary>
    private readonly record struct Use(int Pack, uint Offset, uint Length, int File, int Chunk, long FileOffset);

    /// <summary>One range read: uses <see cref="First"/> up to <see cref="End"/>, all of one pack, whose chunks lie in the bytes read.</summary>
    private readonly record struct ReadRange(int First, int End, long Offset, int Length);
}
