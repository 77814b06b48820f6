using System.Threading.Channels;
using Backup.Core.Archiving;
using Backup.Core.Archiving.Trees;
using Backup.Core.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Monitoring;

/// <summary>
/// The daemon in watch mode (docs/design.md, "Continuous protection"). Each watched path gets a <see cref="TreeWatch"/>
/// before its first walk; that first snapshot walks the whole tree (Linux keeps no change journal across a stop). After
/// it, a path's snapshot is due <see cref="WatchOptions.Quiet"/> after its last event, or
/// <see cref="WatchOptions.MaxDelay"/> after the first; it is built from the directories the events marked, against
/// the last snapshot this monitor wrote (never another process's, whose walk the events do not cover). Every
/// <see cref="WatchOptions.Rescan"/> the whole tree is walked and compared: a difference is a missed change, logged and
/// counted. A tree without a watch is walked every <see cref="WatchOptions.Poll"/>. A zip destination gets a whole new
/// archive when its dirhash changed. A path that fails keeps its changes and is tried again; the others go on.
/// </summary>
public sealed partial class ContinuousMonitor : IDisposable
{
    private readonly IWatchList _watchList;
    private readonly Func<Func<IArchiver, Task>, CancellationToken, Task> _withArchiver;
    private readonly string _destination;
    private readonly IReadOnlySet<string> _excluded;
    private readonly WatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<IReadOnlyList<WatchStatus>> _onStatus;
    private readonly Dictionary<string, PathState> _paths = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>
    /// Creates the monitor. <paramref name="withArchiver"/> runs its argument with an archiver for
    /// <paramref name="destination"/> (opened, locked and released around each snapshot by the caller);
    /// <paramref name="onStatus"/> gets every path's state after each change of it.
    /// </summary>
    public ContinuousMonitor(
        IWatchList watchList, string destination, Func<Func<IArchiver, Task>, CancellationToken, Task> withArchiver, IReadOnlySet<string> excluded,
        WatchOptions options, Action<IReadOnlyList<WatchStatus>>? onStatus = null, TimeProvider? time = null, ILogger<ContinuousMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(watchList);
        ArgumentNullException.ThrowIfNull(withArchiver);
        _watchList = watchList;
        _destination = destination;
        _withArchiver = withArchiver;
        _excluded = excluded;
        _options = options;
        _onStatus = onStatus ?? (_ => { });
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>How often the catalog is read again, for paths added or removed meanwhile.</summary>
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    /// <summary>Snapshots written so far.</summary>
    public long Snapshots => _paths.Values.Sum(p => p.Snapshots);

    /// <summary>Runs until cancelled. Returns the number of snapshots written.</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var refreshed = DateTimeOffset.MinValue;
        var ready = _options.Ready;
        while (!cancellationToken.IsCancellationRequested)
        {
            _options.Heartbeat?.Beat();
            if (_time.GetUtcNow() - refreshed >= RefreshEvery)
            {
                try
                {
                    Refresh();
                }
                catch (Exception e) when (e is IOException or BackupException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
                {
                    // The catalog could not be read (locked for too long, disk full): go on with the paths known.
                    _logger.LogError("the catalog could not be read: {Message}; watching the paths known so far", e.Message);
                }
                refreshed = _time.GetUtcNow();
            }
            var now = _time.GetUtcNow();
            var next = refreshed + RefreshEvery;
            foreach (var state in _paths.Values.ToList())
            {
                var due = DueAt(state);
                if (due <= now)
                {
                    try
                    {
                        using var busy = _options.Heartbeat?.Busy();
                        await SnapshotAsync(state, cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // Stopped mid-snapshot: nothing of it is visible, and its changes are found again at the next start.
                        return Snapshots;
                    }
                    due = DueAt(state);
                }
                if (due < next)
                {
                    next = due;
                }
            }
            Publish();
            if (ready is not null)
            {
                ready(_published);
                ready = null;
            }
            var wait = next - _time.GetUtcNow();
            if (_options.Heartbeat is { } heartbeat && wait > heartbeat.Every)
            {
                wait = heartbeat.Every;
            }
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(wait, _time);
                    using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                    await _wake.Reader.ReadAsync(either.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // the wait is over
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return Snapshots;
    }

    /// <summary>Starts watching paths added to the catalog, and stops watching removed ones.</summary>
    private void Refresh()
    {
        var watched = _watchList.GetWatchedPaths(_destination).ToDictionary(w => w.Path, w => w.Rules, StringComparer.Ordinal);
        foreach (var gone in _paths.Keys.Where(p => !watched.ContainsKey(p)).ToList())
        {
            _paths[gone].Dispose();
            _paths.Remove(gone);
            _logger.LogInformation("{Path}: no longer watched", gone);
        }
        foreach (var changed in _paths.Values.Where(p => !p.Rules.Equals(watched[p.Path])).ToList())
        {
            // What was built under the old rules is no basis for the new ones: start again with a whole walk.
            changed.Dispose();
            _paths.Remove(changed.Path);
            _logger.LogInformation("{Path}: its exclude rules changed; walking it whole", changed.Path);
        }
        foreach (var (path, rules) in watched.Where(p => !_paths.ContainsKey(p.Key)))
        {
            var state = new PathState(path) { RescanAt = _time.GetUtcNow() + _options.Rescan, Rules = rules };
            try
            {
                state.Watch = new TreeWatch(path, _excluded, _time, _logger, _options.ParkedWhile, rules);
                state.Watch.Changed += () => _wake.Writer.TryWrite(true);
            }
            catch (IOException e)
            {
                _logger.LogWarning("{Path}: cannot be watched ({Message}); walking it every {Poll}", path, e.Message, _options.Poll);
            }
            _paths[path] = state;
        }
    }

    private DateTimeOffset DueAt(PathState state)
    {
        if (state.RetryAt is { } retry)
        {
            return retry;
        }
        if (!state.Started)
        {
            return DateTimeOffset.MinValue;
        }
        var rescan = state.RescanAt;
        if (state.Watch is not { Mode: WatchMode.Inotify } watch)
        {
            var poll = (state.LastAttempt ?? DateTimeOffset.MinValue) + _options.Poll;
            return poll < rescan ? poll : rescan;
        }
        if (watch.FirstEvent is { } first && watch.LastEvent is { } last)
        {
            var quiet = last + _options.Quiet;
            var latest = first + _options.MaxDelay;
            var due = quiet < latest ? quiet : latest;
            return due < rescan ? due : rescan;
        }
        return rescan;
    }

    private async Task SnapshotAsync(PathState state, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var rescan = state.Started && now >= state.RescanAt;
        var firstEvent = state.Watch?.FirstEvent;
        state.LastAttempt = now;
        state.RetryAt = null;
        var snapshotsBefore = state.Snapshots;
        state.Written = new Written();
        var attempt = _time.GetTimestamp();
        ChangedDirectories? cut = null;
        try
        {
            await _withArchiver(async archiver =>
            {
                if (archiver is IChangeArchiver changes)
                {
                    cut = state.Watch is { Mode: WatchMode.Inotify } watch ? await watch.CutAsync(_options.Barrier, cancellationToken) : AllOf(state);
                    await BuildAsync(state, changes, cut, rescan, cancellationToken);
                }
                else
                {
                    // A zip is always whole: the events only say when to compare the dirhash.
                    if (state.Watch is { Mode: WatchMode.Inotify } watch)
                    {
                        cut = await watch.CutAsync(_options.Barrier, cancellationToken);
                        // The zip's own walk watches nothing: this one, over the same directories, adds the watches
                        // (before the zip's walk lists them, so nothing is missed between the two).
                        await Task.Run(() => WatchWalk(state, cut, cancellationToken), cancellationToken);
                    }
                    var outcome = await new ChangeMonitor(_watchList, archiver, _excluded, _time) { Progress = Progress }.CheckPathAsync(state.Path, cancellationToken);
                    Record(state, outcome);
                }
            }, cancellationToken);
            state.Started = true;
            _logger.LogDebug("{Path}: snapshot attempt took {Elapsed} ms", state.Path, (long)_time.GetElapsedTime(attempt).TotalMilliseconds);
            if (rescan)
            {
                state.RescanAt = _time.GetUtcNow() + _options.Rescan;
            }
            TimeSpan? latency = null;
            if (firstEvent is { } first && state.LastError is null)
            {
                state.LastLatency = latency = _time.GetUtcNow() - first;
            }
            Observe(state, state.Snapshots > snapshotsBefore ? PathStatus.Archived : PathStatus.Unchanged, latency);
            WarnOfLimit(state);
            if (state.Snapshots > snapshotsBefore && _options.AfterSnapshot is { } after)
            {
                await AfterSnapshotAsync(after, state.Path, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The changes stay pending, for the next attempt.
            if (cut is not null)
            {
                state.Watch?.Restore(cut);
            }
            state.LastError = ChangeMonitor.Describe(e);
            state.RetryAt = _time.GetUtcNow() + _options.RetryAfter;
            _logger.LogError("{Path}: {Message}; trying again in {Retry}", state.Path, state.LastError, _options.RetryAfter);
            _logger.LogDebug(e, "{Path}: details", state.Path);
            Observe(state, PathStatus.Failed, null, SnapshotAttempt.KindOf(e));
        }
    }

    private async Task AfterSnapshotAsync(Func<string, CancellationToken, Task> after, string path, CancellationToken cancellationToken)
    {
        try
        {
            await after(path, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogError("{Path}: after the snapshot: {Message}", path, ChangeMonitor.Describe(e));
        }
    }

    private void WatchWalk(PathState state, ChangedDirectories cut, CancellationToken cancellationToken)
    {
        Progress?.Begin("watching", state.Path, "entries");
        foreach (var entry in Sources.TreeWalker.Walk(state.Path, _ => { }, cancellationToken, _excluded, undecodableDirectories: true, scope: cut, rules: state.Rules))
        {
            Progress?.CompleteItem();
        }
    }

    /// <summary>The counters of the watchdog's heartbeat, which each snapshot's work updates; null without a watchdog.</summary>
    private ProgressCounters? Progress => _options.Heartbeat?.Progress;

    private static ChangedDirectories AllOf(PathState state)
    {
        if (state.Watch is { } watch)
        {
            return watch.Everything();
        }
        var all = new ChangedDirectories();
        all.AddEverything();
        return all;
    }

    private async Task BuildAsync(PathState state, IChangeArchiver archiver, ChangedDirectories cut, bool rescan, CancellationToken cancellationToken)
    {
        var listed = cut.Everything ? "the whole tree" : Quantity.Count(cut.Count, "directory", "directories");
        var started = _time.GetTimestamp();
        Progress?.Begin("archiving", state.Path, "files");
        var result = await archiver.ArchiveChangesAsync(state.Path, state.Basis, cut, state.Rules, cancellationToken);
        _logger.LogDebug("{Path}: built in {Elapsed} ms", state.Path, (long)_time.GetElapsedTime(started).TotalMilliseconds);
        Record(state, result, listed);
        if (rescan && !cut.Everything)
        {
            // The safety net: walk everything against what the events built. A difference is a change no event reported.
            Progress?.Begin("rescanning", state.Path, "files");
            var full = await archiver.ArchiveChangesAsync(state.Path, state.Basis, AllOf(state), state.Rules, cancellationToken);
            if (full.Result is not null)
            {
                state.MissedChanges++;
                _logger.LogWarning("{Path}: the rescan found changes that no event reported; they are in snapshot {Snapshot}", state.Path, Backup.Core.Snapshots.SnapshotIds.Short(full.Basis.SnapshotId));
            }
            Record(state, full, "the whole tree (rescan)");
        }
    }

    private void WarnOfLimit(PathState state)
    {
        if (state.Watch is not { LimitReached: true } || state.LimitWarned)
        {
            return;
        }
        state.LimitWarned = true;
        var directories = Math.Max(state.Basis?.Directories ?? 0, 1); // the root's included
        var limit = Posix.Inotify.MaxUserWatches;
        _logger.LogWarning(
            "{Path}: inotify ran out of watches (fs.inotify.max_user_watches = {Limit}); this tree alone needs at least {Needed} (one per directory): "
            + "raise it with `sysctl fs.inotify.max_user_watches={Suggested}`. Until the daemon restarts, {Path} is walked every {Poll}",
            state.Path, limit, directories, Math.Max((limit ?? 0) + directories, directories * 2), state.Path, _options.Poll);
    }

    private IReadOnlyList<WatchStatus> _published = [];

    /// <summary>Hands every path's state to the status callback, when it changed since the last time.</summary>
    private void Publish()
    {
        var now = _paths.Values.Select(s => new WatchStatus
        {
            Path = s.Path,
            Mode = s.Watch?.Mode == WatchMode.Inotify ? "inotify" : "polling",
            LastSnapshot = s.LastSnapshot,
            LastSnapshotTime = s.LastSnapshotTime,
            PendingChanges = s.Watch?.PendingEvents ?? 0,
            PendingDirectories = s.Watch?.PendingDirectories ?? 0,
            Watches = s.Watch?.Watches ?? 0,
            Snapshots = s.Snapshots,
            MissedChanges = s.MissedChanges,
            Overflows = s.Watch?.Overflows ?? 0,
            LastLatencySeconds = s.LastLatency?.TotalSeconds,
            LastError = s.LastError,
        }).OrderBy(s => s.Path, StringComparer.Ordinal).ToList();
        if (!now.SequenceEqual(_published))
        {
            _published = now;
            _onStatus(now);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var state in _paths.Values)
        {
            state.Dispose();
        }
        _paths.Clear();
    }
}
