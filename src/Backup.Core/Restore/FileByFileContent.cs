namespace Backup.Core.Restore;

/// <summary>
/// The plain way of <see cref="IRestoreSource.WriteContentsAsync"/>: each file read whole through
/// <see cref="IRestoreSource.ReadContentAsync"/>, several files at once.
/// </summary>
public static class FileByFileContent
{
    /// <summary>
    /// Writes each of <paramref name="files"/> through <paramref name="sink"/>, <paramref name="parallelism"/> at a time.
    /// A file the source cannot read (<see cref="RestoreExecutor.IsDamage"/>) is failed; other errors are thrown.
    /// </summary>
    public static async Task WriteAsync(IRestoreSource source, IReadOnlyList<RestoreEntry> files, IContentSink sink, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(sink);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };
        // Each worker takes a run of files next to each other in read order, not every other file: it keeps to its
        // directories, and two workers rarely create files in one directory at once (the kernel serialises creates in a
        // directory, and its lock spins).
        var runs = Math.Max(1, Math.Min(files.Count, options.MaxDegreeOfParallelism * 8));
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), options, async (run, token) =>
        {
            for (var i = (int)((long)files.Count * run / runs); i < (int)((long)files.Count * (run + 1) / runs); i++)
            {
                await WriteFileAsync(source, files[i], i, sink, token);
            }
        });
    }

    /// <summary>Writes file <paramref name="index"/> through <paramref name="sink"/>, completing or failing it.</summary>
    public static async Task WriteFileAsync(IRestoreSource source, RestoreEntry file, int index, IContentSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        long offset = 0;
        var content = source.ReadContentAsync(file, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await content.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (Exception e) when (RestoreExecutor.IsDamage(e))
                {
                    sink.Fail(index, e); // a fault of the source's copy of this file: the others are restored still
                    return;
                }
                sink.Write(index, offset, content.Current.Span);
                offset += content.Current.Length;
            }
        }
        finally
        {
            await content.DisposeAsync();
        }
        sink.Complete(index, offset);
    }
}
