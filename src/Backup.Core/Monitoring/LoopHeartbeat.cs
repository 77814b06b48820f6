namespace Backup.Core.Monitoring;

/// <summary>
/// Whether a daemon loop still turns: the loop calls <see cref="Beat"/> at each turn and waits at most
/// <see cref="Every"/> between turns, and marks a snapshot in progress with <see cref="Busy"/>. A watchdog (systemd's
/// <c>WatchdogSec=</c>) asks <see cref="IsAlive"/>: a loop stuck anywhere but inside a snapshot (a catalog read, a
/// status write, a wait that never ends) stops being alive once its last beat is older than the watchdog's bound. A
/// snapshot in progress counts as alive only while it makes progress: the work done while busy reports to
/// <see cref="Progress"/>, and a snapshot whose counters have not moved for the bound (a read hung on a dead NFS mount,
/// a store that never answers) is not alive. Thread-safe: the loop beats on its own thread, the watchdog reads on a
/// timer's.
/// </summary>
public sealed class LoopHeartbeat
{
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private long _lastBeat;
    private int _busy;
    private ProgressMark _mark;
    private long _lastProgress;

    /// <summary>Creates a heartbeat whose loop turns at least every <paramref name="every"/>; it counts as a beat now.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="every"/> is not positive.</exception>
    public LoopHeartbeat(TimeSpan every, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        Every = every;
        _time = time ?? TimeProvider.System;
        _lastBeat = _time.GetTimestamp();
        Progress = new ProgressCounters(_time);
    }

    /// <summary>The longest the loop waits between two beats.</summary>
    public TimeSpan Every { get; }

    /// <summary>
    /// The counters that the work done while <see cref="Busy"/> must update (give them to the archiver, the change
    /// monitor, the prune): a phase begun or ended, an item or bytes done are progress. Work that counts nothing for
    /// longer than the watchdog's bound is taken for hung.
    /// </summary>
    public ProgressCounters Progress { get; }

    /// <summary>Records one turn of the loop.</summary>
    public void Beat() => Interlocked.Exchange(ref _lastBeat, _time.GetTimestamp());

    /// <summary>
    /// Marks a snapshot in progress until the returned scope is disposed (which beats once more). Beginning counts as
    /// progress; after it, only a change of <see cref="Progress"/> does.
    /// </summary>
    public IDisposable Busy()
    {
        lock (_sync)
        {
            _mark = ProgressMark.Of(Progress.Read());
            _lastProgress = _time.GetTimestamp();
        }
        Interlocked.Increment(ref _busy);
        return new BusyScope(this);
    }

    /// <summary>
    /// While a snapshot is in progress: true when <see cref="Progress"/> changed within <paramref name="within"/>
    /// (sampled at each call: the counters are compared with those seen at the previous call, so call it at least every
    /// <paramref name="within"/>). Otherwise: true when the last beat is younger than <paramref name="within"/>.
    /// </summary>
    public bool IsAlive(TimeSpan within)
    {
        if (Volatile.Read(ref _busy) > 0)
        {
            var now = ProgressMark.Of(Progress.Read());
            lock (_sync)
            {
                if (now != _mark)
                {
                    _mark = now;
                    _lastProgress = _time.GetTimestamp();
                }
                return _time.GetElapsedTime(_lastProgress) < within;
            }
        }
        return _time.GetElapsedTime(Interlocked.Read(ref _lastBeat)) < within;
    }

    /// <summary>What of the counters says that work goes on (not the elapsed time, which always moves).</summary>
    private readonly record struct ProgressMark(int Generation, long Items, long Bytes, bool Ended)
    {
        public static ProgressMark Of(ProgressSnapshot s) => new(s.Generation, s.ItemsDone, s.BytesDone, s.Ended);
    }

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
