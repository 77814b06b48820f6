namespace Backup.Core.Restore;

/// <summary>What <see cref="RestoreExecutor"/> needs of an archive format: the bytes of a file and the target of a link.</summary>
public interface IRestoreSource
{
    /// <summary>
    /// The content of <paramref name="file"/>, in order, checked against the archive's own checksums (a mismatch throws
    /// <see cref="InvalidDataException"/>). A yielded buffer may be reused: consume it before asking for the next.
    /// Safe to call for several files at once.
    /// </summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, CancellationToken cancellationToken);

    /// <summary>The raw target of <paramref name="link"/>.</summary>
    Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="files"/> in the order this source reads them fastest: where their content lies in the archive,
    /// front to back. That is also about the order they were archived in, directory by directory, so the target's
    /// directories are opened once each rather than once per file. The default keeps the plan's order.
    /// </summary>
    IReadOnlyList<RestoreEntry> InReadOrder(IReadOnlyList<RestoreEntry> files) => files;

    /// <summary>
    /// Gives the content of every file of <paramref name="files"/> to <paramref name="sink"/>, with at most
    /// <paramref name="parallelism"/> reads at once, calling <see cref="IContentSink.Complete"/> or
    /// <see cref="IContentSink.Fail"/> once for each file. A source whose files share stored pieces (a repository's
    /// packs) reads each piece once and writes it to every place that needs it. The default reads file after file
    /// through <see cref="ReadContentAsync"/> (<see cref="FileByFileContent"/>). Errors of the sink are thrown.
    /// </summary>
    Task WriteContentsAsync(IReadOnlyList<RestoreEntry> files, IContentSink sink, int parallelism, CancellationToken cancellationToken) =>
        FileByFileContent.WriteAsync(this, files, sink, parallelism, cancellationToken);
}
