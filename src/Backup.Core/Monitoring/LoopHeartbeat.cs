namespace Backup.Core.Monitoring;

/// <summary>
/// Whether a daemon loop still turns: the loop calls <see cref="Beat"/> at each turn and waits at most
/// <see cref="Every"/> between turns, and marks a snapshot in progress with <see cref="Busy"/>. A watchdog (systemd's
/// <c>WatchdogSec=</c>) asks <see cref="IsAlive"/>: a loop stuck anywhere but inside a snapshot (a catalog read, a
/// status write, a wait that never ends) stops being alive once its last beat is older than the watchdog's bound. A
/// snapshot in progress counts as alive: a first snapshot of a large tree may take hours and reports no progress.
/// Thread-safe: the loop beats on its own thread, the watchdog reads on a timer's.
/// </summary>
public sealed class LoopHeartbeat
{
    private readonly TimeProvider _time;
    private long _lastBeat;
    private int _busy;

    /// <summary>Creates a heartbeat whose loop turns at least every <paramref name="every"/>; it counts as a beat now.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="every"/> is not positive.</exception>
    public LoopHeartbeat(TimeSpan every, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        Every = every;
        _time = time ?? TimeProvider.System;
        _lastBeat = _time.GetTimestamp();
    }

    /// <summary>The longest the loop waits between two beats.</summary>
    public TimeSpan Every { get; }

    /// <summary>Records one turn of the loop.</summary>
    public void Beat() => Interlocked.Exchange(ref _lastBeat, _time.GetTimestamp());

    /// <summary>Marks a snapshot in progress until the returned scope is disposed (which beats once more).</summary>
    public IDisposable Busy()
    {
        Interlocked.Increment(ref _busy);
        return new BusyScope(this);
    }

    /// <summary>True while a snapshot is in progress, or when the last beat is younger than <paramref name="within"/>.</summary>
    public bool IsAlive(TimeSpan within) =>
        Volatile.Read(ref _busy) > 0 || _time.GetElapsedTime(Interlocked.Read(ref _lastBeat)) < within;

    private sealed class BusyScope(LoopHeartbeat heartbeat) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                heartbeat.Beat();
                Interlocked.Decrement(ref heartbeat._busy);
            }
        }
    }
}
