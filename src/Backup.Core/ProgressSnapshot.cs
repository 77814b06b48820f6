namespace Backup.Core;

/// <summary>
/// The counts of a <see cref="ProgressCounters"/> at one instant. <see cref="Generation"/> changes with every phase
/// begun, so that a reader knows when to start its clock again. Totals are null when unknown; done is never above them.
/// </summary>
public readonly record struct ProgressSnapshot(
    int Generation, string Phase, string Subject, string Unit,
    long ItemsDone, long? TotalItems, long BytesDone, long? TotalBytes, string? Current, bool Ended)
{
    /// <summary>Whether any phase has begun.</summary>
    public bool Started => Generation > 0;

    /// <summary>
    /// The share done, 0 to 1: by bytes when their total is known and not zero (a big file counts more than a small
    /// one), else by items; 1 when the totals are known and zero (nothing to do); null when no total is known.
    /// </summary>
    public double? Fraction
    {
        get
        {
            if (TotalBytes is > 0 and var bytes)
            {
                return Math.Min(1, (double)BytesDone / bytes);
            }
            if (TotalItems is > 0 and var items)
            {
                return Math.Min(1, (double)ItemsDone / items);
            }
            return TotalBytes is null && TotalItems is null ? null : 1;
        }
    }

    /// <summary>
    /// The time left at the rate so far, after <paramref name="elapsed"/> in this phase: null when the total is not
    /// known or nothing is done yet (no rate to go by).
    /// </summary>
    public TimeSpan? Remaining(TimeSpan elapsed)
    {
        if (Fraction is not { } fraction || elapsed <= TimeSpan.Zero)
        {
            return null;
        }
        if (fraction >= 1)
        {
            return TimeSpan.Zero;
        }
        if (fraction <= 0)
        {
            return null;
        }
        var seconds = elapsed.TotalSeconds * (1 - fraction) / fraction;
        return seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>Bytes a second over <paramref name="elapsed"/>; 0 before any time has passed.</summary>
    public double BytesPerSecond(TimeSpan elapsed) => elapsed > TimeSpan.Zero ? BytesDone / elapsed.TotalSeconds : 0;
}
