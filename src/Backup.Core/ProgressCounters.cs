namespace Backup.Core;

/// <summary>
/// How far a long operation (archiving a tree, a restore, a check's reading of packs, a prune) has come: items (files
/// or packs) and bytes done, their totals when known, and the item at hand. The engine updates it from any thread,
/// with <see cref="Interlocked"/> and no lock or allocation, so that counting costs nothing next to the work; whoever
/// shows progress reads it with <see cref="Read"/> on a timer of its own. Thread-safe.
/// </summary>
/// <remarks>
/// An operation runs in phases (checking a tree, then archiving it; reading snapshots, then packs), each begun with
/// <see cref="Begin"/>, which resets the counts, and ended with <see cref="End"/>. A reader may see the counts of a
/// phase that has just begun with the totals of the one before for an instant; <see cref="Read"/> never reports done
/// above total.
/// </remarks>
public sealed class ProgressCounters
{
    private readonly Action<ProgressSnapshot>? _onPhaseEnd;
    private readonly TimeProvider _time;
    private long _started;
    private long _itemsDone;
    private long _bytesDone;
    private long _totalItems = -1;
    private long _totalBytes = -1;
    private int _generation;
    private PhaseText _phase = new("", "", "files", Ended: false);
    // A string, or the raw relative path of a tree entry (escaped only when read, so that the engine never formats a name).
    private object? _current;

    /// <summary>
    /// Creates counters that time each phase by <paramref name="time"/> (default: the system's clock);
    /// <paramref name="onPhaseEnd"/>, when given, hears the final counts of each phase from <see cref="End"/>, on the
    /// engine's thread (keep it short).
    /// </summary>
    public ProgressCounters(TimeProvider? time = null, Action<ProgressSnapshot>? onPhaseEnd = null)
    {
        _time = time ?? TimeProvider.System;
        _onPhaseEnd = onPhaseEnd;
    }

    /// <summary>
    /// Begins a phase: <paramref name="phase"/> says what is done ("archiving"), <paramref name="subject"/> to what (a
    /// path, a repository), <paramref name="unit"/> what an item is ("files", "packs"). Negative totals are unknown.
    /// Counts start again from zero.
    /// </summary>
    public void Begin(string phase, string subject, string unit, long totalItems = -1, long totalBytes = -1)
    {
        ArgumentNullException.ThrowIfNull(phase);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(unit);
        Interlocked.Exchange(ref _itemsDone, 0);
        Interlocked.Exchange(ref _bytesDone, 0);
        Interlocked.Exchange(ref _totalItems, totalItems < 0 ? -1 : totalItems);
        Interlocked.Exchange(ref _totalBytes, totalBytes < 0 ? -1 : totalBytes);
        Volatile.Write(ref _current, null);
        Interlocked.Exchange(ref _started, _time.GetTimestamp());
        Volatile.Write(ref _phase, new PhaseText(phase, subject, unit, Ended: false));
        Interlocked.Increment(ref _generation);
    }

    /// <summary>Sets the totals of the phase once they are known (negative: unknown).</summary>
    public void SetTotals(long totalItems, long totalBytes)
    {
        Interlocked.Exchange(ref _totalItems, totalItems < 0 ? -1 : totalItems);
        Interlocked.Exchange(ref _totalBytes, totalBytes < 0 ? -1 : totalBytes);
    }

    /// <summary>Counts bytes done (read, written or checked) of the item at hand.</summary>
    public void AddBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);

    /// <summary>Counts one item done, with <paramref name="bytes"/> of it not counted yet through <see cref="AddBytes"/>.</summary>
    public void CompleteItem(long bytes = 0)
    {
        if (bytes != 0)
        {
            Interlocked.Add(ref _bytesDone, bytes);
        }
        Interlocked.Increment(ref _itemsDone);
    }

    /// <summary>Names the item at hand.</summary>
    public void SetCurrent(string name) => Volatile.Write(ref _current, name);

    /// <summary>Names the item at hand by its raw relative path (not copied: it must not change afterwards).</summary>
    public void SetCurrent(byte[] relativePath) => Volatile.Write(ref _current, relativePath);

    /// <summary>Ends the phase: <see cref="ProgressSnapshot.Ended"/> is then true, and the callback given at construction hears it.</summary>
    public void End()
    {
        var phase = Volatile.Read(ref _phase);
        Volatile.Write(ref _phase, phase with { Ended = true });
        _onPhaseEnd?.Invoke(Read());
    }

    /// <summary>The counts now. Done is never above total: a tree that grew since it was counted raises its total.</summary>
    public ProgressSnapshot Read()
    {
        var phase = Volatile.Read(ref _phase);
        var items = Interlocked.Read(ref _itemsDone);
        var bytes = Interlocked.Read(ref _bytesDone);
        var totalItems = Interlocked.Read(ref _totalItems);
        var totalBytes = Interlocked.Read(ref _totalBytes);
        var current = Volatile.Read(ref _current) switch
        {
            string s => s,
            byte[] raw => Posix.EntryName.Escape(raw),
            _ => null,
        };
        return new ProgressSnapshot(
            Volatile.Read(ref _generation), phase.Phase, phase.Subject, phase.Unit,
            items, totalItems < 0 ? null : Math.Max(items, totalItems),
            bytes, totalBytes < 0 ? null : Math.Max(bytes, totalBytes),
            current, phase.Ended, _time.GetElapsedTime(Interlocked.Read(ref _started)));
    }

    private sealed record PhaseText(string Phase, string Subject, string Unit, bool Ended);
}
