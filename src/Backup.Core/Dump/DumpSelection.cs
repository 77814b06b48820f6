using Backup.Core.Posix;
using Backup.Core.Restore;

namespace Backup.Core.Dump;

/// <summary>
/// What a dump reads: one entry of a snapshot (<see cref="Top"/>: a file, a symlink or a directory) and, for a
/// directory, every entry below it (<see cref="Below"/>, paths relative to it), with the source their content and link
/// targets are read from. Made by <see cref="SnapshotPaths"/>; owns what it was opened on (a zip file), released by
/// <see cref="Dispose"/>.
/// </summary>
public sealed class DumpSelection : IDisposable
{
    private readonly IDisposable? _owned;

    internal DumpSelection(RestoreEntry top, string name, IReadOnlyList<RestoreEntry> below, IRestoreSource source, IDisposable? owned)
    {
        Top = top;
        Name = name;
        Below = below;
        Source = source;
        _owned = owned;
    }

    /// <summary>The entry named; its <see cref="RestoreEntry.Path"/> is the path asked for, relative to the snapshot.</summary>
    public RestoreEntry Top { get; }

    /// <summary>The entry's own name (the source folder's for the snapshot's root): the first component of a tar's names.</summary>
    public string Name { get; }

    /// <summary>For a directory, everything below it in the order it was listed, paths relative to it; empty otherwise.</summary>
    public IReadOnlyList<RestoreEntry> Below { get; }

    /// <summary>Where file content and link targets are read: every piece checked against the archive's own checksums.</summary>
    public IRestoreSource Source { get; }

    /// <summary>The type of <see cref="Top"/>.</summary>
    public FileType Type => Top.Type;

    /// <summary>
    /// Copies the content of <see cref="Top"/>, a file, to <paramref name="output"/>, piece by piece (memory does not grow
    /// with the file). Throws <see cref="InvalidDataException"/> naming <paramref name="shown"/> when a piece is damaged
    /// or the content is not as long as its size; <see cref="InvalidOperationException"/> when it is not a file. Leaves
    /// <paramref name="output"/> open.
    /// </summary>
    public async Task<long> CopyFileAsync(Stream output, string shown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Top.Type != FileType.File)
        {
            throw new InvalidOperationException($"{shown} is not a file");
        }
        await using var content = new ContentStream(Source.ReadContentAsync(Top, cancellationToken), Top.Size, shown);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 18);
        try
        {
            long copied = 0;
            int n;
            while ((n = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                copied += n;
            }
            return copied;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _owned?.Dispose();
}
