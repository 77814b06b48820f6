namespace Backup.Core.Storage;

/// <summary>How <see cref="RetryingBlobStore"/> retries: exponential backoff with jitter, up to a number of attempts.</summary>
public sealed record StoreRetryOptions
{
    /// <summary>
    /// Attempts per call, the first included (at least 1). 5, as restic's and the AWS SDK's defaults are of that size:
    /// with the delays below, about 8 s of waiting rides out a dropped connection or a throttling burst, while a store
    /// that is down fails the run within a minute instead of hanging it.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// The delay before the first retry, doubled for each next one (with jitter, so that parallel uploads that failed
    /// together do not retry together). 0.5 s: long enough for a reconnect, short next to a pack's upload.
    /// </summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>The longest delay between two attempts. 30 s: a throttled S3 prefix recovers within that.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero, nameof(BaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(MaxDelay));
    }
}
