namespace Backup.Core;

/// <summary>
/// The counts of a <see cref="ProgressCounters"/> at one instant. <see cref="Generation"/> changes with every phase
/// begun; <see cref="Elapsed"/> is the time since it began. Totals are null when unknown; done is never above them.
/// </summary>
public readonly record struct ProgressSnapshot(
    int Generation, string Phase, string Subject, string Unit,
    long ItemsDone, long? TotalItems, long BytesDone, long? TotalBytes, string? Current, bool Ended, TimeSpan Elapsed)
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
    /// The time left at the rate of the phase so far: null when the total is not known or nothing is done yet (no rate
    /// to go by); zero when all is done.
    /// </summary>
    public TimeSpan? Remaining
    {
        get
        {
            if (Fraction is not { } fraction || Elapsed <= TimeSpan.Zero)
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
            var seconds = Elapsed.TotalSeconds * (1 - fraction) / fraction;
            return seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
        }
    }

    /// <summary>Bytes a second in this phase so far; 0 before any time has passed.</summary>
    public double BytesPerSecond => Elapsed > TimeSpan.Zero ? BytesDone / Elapsed.TotalSeconds : 0;
}
