namespace Backup.Core.Buffers;

/// <summary>
/// Bounds the bytes in flight between producers and the workers that finish their items: a producer waits
/// (<see cref="WaitAsync"/>) until what is in flight plus its item fits the budget, or until nothing is in flight (so an
/// item larger than the budget still goes, alone). Workers give their bytes back with <see cref="Release"/>, which
/// wakes every waiter to try again. Thread-safe.
/// </summary>
internal sealed class ByteBudget(long budget)
{
    private readonly Lock _lock = new();
    private long _used;
    private TaskCompletionSource? _waiter;

    /// <summary>The bytes in flight now.</summary>
    public long InFlight
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit, then counts them as in flight.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (_used == 0 || _used + bytes <= budget)
                {
                    _used += bytes;
                    return;
                }
                // Waiters share one signal; a waiter that gives up leaves it for the next release to set.
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                released = _waiter.Task;
            }
            await released.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> counted by <see cref="WaitAsync"/>, waking the waiters.</summary>
    public void Release(long bytes)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _used -= bytes;
            (waiter, _waiter) = (_waiter, null);
        }
        waiter?.TrySetResult();
    }
}
