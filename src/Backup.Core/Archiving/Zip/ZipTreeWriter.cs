using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Threading.Channels;
using Backup.Core.Posix;
using Backup.Core.Sources;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Streams a tree into a <see cref="ZipWriter"/> with a bounded pipeline: one walker opens files and cuts them into blocks,
/// one worker per core reads and compresses blocks, and the calling task writes entries in walk order. Each file is
/// opened through the directory the walk listed it in and checked to be the inode the walk saw, and fstat-ed before and
/// after it is read; a file that changed is read again once (the same open file), then left out and reported.
/// </summary>
internal sealed class ZipTreeWriter
{
    private readonly ZipArchiverOptions _options;
    private readonly ZipWriter _writer;
    private readonly List<TreeProblem> _problems = [];
    private readonly Lock _problemsLock = new();

    public ZipTreeWriter(ZipArchiverOptions options, ZipWriter writer)
    {
        _options = options;
        _writer = writer;
    }

    public long Files { get; private set; }
    public long Bytes { get; private set; }

    public IReadOnlyList<TreeProblem> Problems
    {
        get
        {
            lock (_problemsLock)
            {
                return [.. _problems];
            }
        }
    }

    public Task WriteAsync(string root, IReadOnlySet<string> excluded, ExcludeRules rules, CancellationToken cancellationToken) =>
        // Walk opens the root eagerly, so that a missing root fails here, before any thread starts.
        WriteAsync(TreeWalker.Walk(root, AddProblem, cancellationToken, excluded, rules: rules), cancellationToken);

    /// <summary>Writes the entries of <paramref name="walk"/>, a walk whose problems go to <see cref="AddProblem"/> (a seam for tests).</summary>
    internal async Task WriteAsync(IEnumerable<TreeEntry> walk, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var entries = Channel.CreateBounded<PendingEntry>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        // Workers are dedicated threads that block while waiting for work; the in-flight semaphore bounds the queue.
        using var work = new BlockingCollection<BlockJob>();
        using var inFlight = new SemaphoreSlim(_options.BlocksInFlight);
        var producer = Task.Run(() => ProduceAsync(walk, entries.Writer, work, inFlight, stop.Token), CancellationToken.None);
        var workers = Enumerable.Range(0, _options.Workers)
            .Select(_ => Task.Factory.StartNew(() => Work(work, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        try
        {
            await foreach (var entry in entries.Reader.ReadAllAsync(stop.Token))
            {
                await WriteEntryAsync(entry, inFlight, stop.Token);
            }
            await producer;
        }
        finally
        {
            await stop.CancelAsync();
            await Drain(entries.Reader, inFlight);
            try
            {
                await producer;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The producer's own error, if any, already surfaced through the entry channel.
            }
            await Task.WhenAll(workers);
        }
    }

    internal void AddProblem(TreeProblem problem)
    {
        lock (_problemsLock)
        {
            _problems.Add(problem);
        }
    }

    private async Task ProduceAsync(
        IEnumerable<TreeEntry> walk, ChannelWriter<PendingEntry> entries, BlockingCollection<BlockJob> work, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            foreach (var entry in walk)
            {
                var pending = Prepare(entry);
                if (pending is null)
                {
                    continue;
                }
                try
                {
                    await entries.WriteAsync(pending, cancellationToken);
                }
                catch
                {
                    pending.Handle?.Dispose();
                    throw;
                }
                for (var i = 0; i < pending.Blocks.Length; i++)
                {
                    try
                    {
                        await inFlight.WaitAsync(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        foreach (var rest in pending.Blocks.AsSpan(i))
                        {
                            rest.Result.TrySetCanceled(cancellationToken);
                        }
                        throw;
                    }
                    pending.Blocks[i].Enqueued = true;
                    work.Add(pending.Blocks[i], CancellationToken.None);
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            work.CompleteAdding();
            entries.TryComplete(failure);
        }
    }

    private PendingEntry? Prepare(TreeEntry entry)
    {
        if (entry.RelativePath is null)
        {
            AddProblem(new TreeProblem(entry.DisplayPath, "name is not valid UTF-8; left out"));
            return null;
        }
        switch (entry.Type)
        {
            case FileType.Directory:
            case FileType.Symlink:
                return new PendingEntry(entry, null, entry.Status, []);
            case FileType.File:
                return PrepareFile(entry);
            default:
                return null; // FIFOs, sockets and devices are never opened: a FIFO would block forever
        }
    }

    private PendingEntry? PrepareFile(TreeEntry entry)
    {
        SafeFileHandle handle;
        FileStatus before;
        try
        {
            // Through the directory the walk listed, while the walk is still in it; a file that is not the inode the walk
            // saw (replaced, or reached through a parent swapped for a symlink) is refused here and never read.
            handle = entry.OpenFile(out before);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AddProblem(new TreeProblem(entry.DisplayPath, TreeProblem.ReasonOf(e) + "; left out"));
            return null;
        }
        var count = (int)Math.Max(1, (before.Size + _options.BlockSize - 1) / _options.BlockSize);
        var blocks = new BlockJob[count];
        for (var i = 0; i < count; i++)
        {
            var offset = (long)i * _options.BlockSize;
            blocks[i] = new BlockJob(handle, offset, (int)Math.Min(_options.BlockSize, Math.Max(0, before.Size - offset)));
        }
        return new PendingEntry(entry, handle, before, blocks);
    }

    private void Work(BlockingCollection<BlockJob> work, CancellationToken cancellationToken)
    {
        using var compressor = new ZipBlockCompressor(_options.CompressionLevel);
        foreach (var job in work.GetConsumingEnumerable(CancellationToken.None))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                job.Result.TrySetCanceled(cancellationToken);
                continue;
            }
            try
            {
                job.Result.TrySetResult(compressor.ReadAndCompress(job.Handle, job.Offset, job.Length));
            }
            catch (Exception e)
            {
                job.Result.TrySetException(e);
            }
        }
    }

    private async Task WriteEntryAsync(PendingEntry pending, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        var entry = pending.Entry;
        var name = System.Text.Encoding.UTF8.GetBytes(entry.RelativePath!);
        var metadata = new ZipEntryMetadata(pending.Status.Mode, pending.Status.MtimeNs);
        switch (entry.Type)
        {
            case FileType.Directory:
                _writer.AddStored([.. name, (byte)'/'], metadata, []);
                _writer.Commit();
                return;
            case FileType.Symlink:
                _writer.AddStored(name, metadata, entry.LinkTarget);
                _writer.Commit();
                return;
        }
        using var handle = pending.Handle!;
        _options.Progress?.SetCurrent(entry.RelativePathBytes);
        var start = _writer.Position;
        string? failure;
        try
        {
            failure = await WriteFileAsync(name, pending, i => pending.Blocks[i].Result.Task, inFlight, cancellationToken);
        }
        finally
        {
            await ReleaseUnconsumed(pending, inFlight);
        }
        if (failure is not null)
        {
            _writer.Rollback(start);
            failure = await RetryFileAsync(name, pending, start, cancellationToken);
        }
        if (failure is not null)
        {
            AddProblem(new TreeProblem(entry.DisplayPath, failure));
        }
        _options.Progress?.CompleteItem();
    }

    /// <summary>
    /// A second, sequential attempt at a file that changed or failed while read: the same open file (the inode the walk
    /// saw), read again from its start. Returns why it failed, or null.
    /// </summary>
    private async Task<string?> RetryFileAsync(byte[] name, PendingEntry pending, long start, CancellationToken cancellationToken)
    {
        var handle = pending.Handle!;
        FileStatus before;
        try
        {
            before = PosixFile.Fstat(handle, pending.Entry.FullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return TreeProblem.ReasonOf(e) + "; left out";
        }
        using var compressor = new ZipBlockCompressor(_options.CompressionLevel);
        var retry = pending with { Status = before, Blocks = [] };
        var count = (int)Math.Max(1, (before.Size + _options.BlockSize - 1) / _options.BlockSize);
        var failure = await WriteFileAsync(
            name, retry, count, i =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                var offset = (long)i * _options.BlockSize;
                return Task.FromResult(compressor.ReadAndCompress(handle, offset, (int)Math.Min(_options.BlockSize, Math.Max(0, before.Size - offset))));
            }, null, cancellationToken);
        if (failure is not null)
        {
            _writer.Rollback(start);
            return failure + "; left out";
        }
        return null;
    }

    private Task<string?> WriteFileAsync(byte[] name, PendingEntry pending, Func<int, Task<ZipBlock>> block, SemaphoreSlim? inFlight, CancellationToken cancellationToken) =>
        WriteFileAsync(name, pending, pending.Blocks.Length, block, inFlight, cancellationToken);

    /// <summary>Writes one file's entry from its blocks. Returns null when written consistently, else why not (the caller rolls back).</summary>
    private async Task<string?> WriteFileAsync(
        byte[] name, PendingEntry pending, int count, Func<int, Task<ZipBlock>> block, SemaphoreSlim? inFlight, CancellationToken cancellationToken)
    {
        var before = pending.Status;
        var metadata = new ZipEntryMetadata(before.Mode, before.MtimeNs);
        var crc = new Crc32();
        long read = 0;
        for (var i = 0; i < count; i++)
        {
            ZipBlock b;
            try
            {
                b = await block(i).WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return TreeProblem.ReasonOf(e);
            }
            finally
            {
                if (i < pending.Blocks.Length)
                {
                    Consume(pending.Blocks[i], inFlight!);
                }
            }
            using (b)
            {
                crc.Append(b.RawSpan);
                read += b.RawLength;
                _options.Progress?.AddBytes(b.RawLength);
                if (count == 1)
                {
                    if (b.Compressed is null)
                    {
                        _writer.AddStored(name, metadata, b.RawSpan);
                    }
                    else
                    {
                        _writer.AddDeflatedSegment(name, metadata, crc.GetCurrentHashAsUInt32(), b.RawLength, b.CompressedSpan);
                    }
                    continue;
                }
                if (i == 0)
                {
                    _writer.BeginStreamed(name, metadata, before.Size);
                }
                if (b.Compressed is null)
                {
                    _writer.AppendStoredBlocks(b.RawSpan);
                }
                else
                {
                    _writer.AppendSegment(b.CompressedSpan);
                }
            }
        }
        if (count > 1)
        {
            _writer.EndStreamed(crc.GetCurrentHashAsUInt32(), read);
        }
        var after = PosixFile.Fstat(pending.Handle!, pending.Entry.FullPath!);
        if (read != before.Size || after.DiffersFrom(before) || IsLongerThan(pending.Handle!, read))
        {
            return "changed while being read";
        }
        _writer.Commit();
        Files++;
        Bytes += read;
        return null;
    }

    private static bool IsLongerThan(SafeFileHandle handle, long length)
    {
        Span<byte> one = stackalloc byte[1];
        return RandomAccess.Read(handle, one, length) > 0;
    }

    private static async Task ReleaseUnconsumed(PendingEntry pending, SemaphoreSlim inFlight)
    {
        foreach (var job in pending.Blocks)
        {
            if (job.Consumed)
            {
                continue;
            }
            try
            {
                (await job.Result.Task).Dispose();
            }
            catch (Exception)
            {
                // This block's file is already being reported or abandoned; its error adds nothing.
            }
            Consume(job, inFlight);
        }
    }

    /// <summary>Marks a block as done with, giving its in-flight slot back if the walker took one for it.</summary>
    private static void Consume(BlockJob job, SemaphoreSlim inFlight)
    {
        job.Consumed = true;
        if (job.Enqueued)
        {
            inFlight.Release();
        }
    }

    private static async Task Drain(ChannelReader<PendingEntry> entries, SemaphoreSlim inFlight)
    {
        while (entries.TryRead(out var pending))
        {
            await ReleaseUnconsumed(pending, inFlight);
            pending.Handle?.Dispose();
        }
    }


    private sealed record PendingEntry(TreeEntry Entry, SafeFileHandle? Handle, FileStatus Status, BlockJob[] Blocks);

    private sealed class BlockJob(SafeFileHandle handle, long offset, int length)
    {
        public SafeFileHandle Handle { get; } = handle;
        public long Offset { get; } = offset;
        public int Length { get; } = length;
        public TaskCompletionSource<ZipBlock> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Consumed { get; set; }
        public bool Enqueued { get; set; }
    }
}
