namespace Backup.Core.Archiving.Zip;

/// <summary>Settings of <see cref="ZipArchiver"/>. Immutable; <see cref="Validate"/> checks them once.</summary>
public sealed record ZipArchiverOptions
{
    /// <summary>
    /// zlib level 1 to 9. Default 6, the level of Info-ZIP's <c>zip</c>: with .NET's zlib-ng it is several times faster than
    /// zip's own zlib at about the same size, so there is no need to trade size for speed.
    /// </summary>
    public int CompressionLevel { get; init; } = 6;

    /// <summary>
    /// Size of the unit of parallel work. 1 MiB keeps per-block overhead (a sync flush, a lost dictionary) under 0.1%
    /// while giving a big file enough blocks to keep every core busy.
    /// </summary>
    public int BlockSize { get; init; } = 1 << 20;

    /// <summary>Compression threads. Default: one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Blocks read but not yet written, across all workers. Bounds memory to about 2 × this × <see cref="BlockSize"/>
    /// whatever the size of the tree or of its files.
    /// </summary>
    public int BlocksInFlight { get; init; } = Math.Max(8, Environment.ProcessorCount * 4);

    /// <summary>Absolute paths never archived (the archive folder and the catalog, when a watched tree contains them). The archive root itself is always left out.</summary>
    public IReadOnlySet<string> ExcludedPaths { get; init; } = new HashSet<string>();

    /// <summary>
    /// Counts files and bytes as they are written, for whoever shows progress; null (the default) counts nothing. The
    /// caller begins the phase and sets its totals (<see cref="ProgressCounters.Begin"/>).
    /// </summary>
    public ProgressCounters? Progress { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range.</summary>
    public ZipArchiverOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(CompressionLevel, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CompressionLevel, 9);
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 64 * 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BlocksInFlight, 1);
        return this;
    }
}
