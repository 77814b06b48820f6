namespace Backup.Core.Chunking;

/// <summary>
/// Size bounds of content-defined chunks. Immutable. The defaults are restic's (512 KiB, 1 MiB, 8 MiB): large enough
/// that per-chunk index memory stays small, small enough that an edit re-stores about 1 MiB.
/// </summary>
public sealed record ChunkerParameters
{
    /// <summary>No boundary is placed before this many bytes.</summary>
    public int MinSize { get; init; } = 512 * 1024;

    /// <summary>The size the boundary test aims at; must be a power of two.</summary>
    public int AverageSize { get; init; } = 1024 * 1024;

    /// <summary>A boundary is forced at this size.</summary>
    public int MaxSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 64 ≤ min &lt; average ≤ max and average is a power of two.</summary>
    public ChunkerParameters Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSize, 64);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AverageSize, MinSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSize, AverageSize);
        if (!int.IsPow2(AverageSize))
        {
            throw new ArgumentOutOfRangeException(nameof(AverageSize), AverageSize, "must be a power of two");
        }
        return this;
    }
}
