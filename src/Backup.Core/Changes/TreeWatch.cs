using System.Text;
using Backup.Core.Posix;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Changes;

/// <summary>
/// The inotify watch of one tree (docs/design.md, "Continuous protection"): its own inotify instance (so that nested
/// watched roots do not share watch descriptors, and a queue overflow costs only this tree a rescan) and a dedicated
/// reader thread that blocks in <c>poll</c>. Events mark directories in a dirty set (<see cref="ChangedDirectories"/>);
/// <see cref="CutAsync"/> puts a cookie file in the root, waits for its own event (so every earlier event is in the set),
/// and swaps the set out. Watches are added by the walks themselves (<see cref="ChangedDirectories.Entering"/>), through
/// each directory's descriptor, before the directory is listed. A directory created or moved in is marked deep (listed
/// with everything below it, whose watches its walk adds); one moved out loses its watches. An overflow, a lost root
/// watch or a failed barrier marks the whole tree; a mount or unmount below the root marks that subtree; a full watch
/// table (<c>fs.inotify.max_user_watches</c>) turns the tree to polling (<see cref="WatchMode.Polling"/>).
/// </summary>
public sealed partial class TreeWatch : IDisposable
{
    /// <summary>The prefix of cookie files; such names in a watched root are the watch's own.</summary>
    public const string CookiePrefix = ".backup-cookie-";

    /// <summary>Directories marked before the set turns into "everything": bounds its memory.</summary>
    public const int MaxMarked = 100_000;

    private readonly object _lock = new();
    private readonly Inotify _inotify;
    private readonly Thread _reader;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IReadOnlySet<string> _excluded;
    private readonly Dictionary<int, byte[]> _paths = [];
    private readonly Dictionary<string, int> _watches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _cookies = new(StringComparer.Ordinal);
    private HashSet<string> _mounts;
    private ChangedDirectories _pending;
    private long _cookieNumber;
    private bool _limitReached;
    private readonly Func<bool>? _parkedWhile;
    private readonly List<byte[]> _ruleFiles;

    /// <summary>
    /// Starts watching <paramref name="root"/> (an absolute, resolved path). Nothing is watched until the first walk
    /// over <see cref="CutAsync"/>'s set, which the caller starts next; until then every event is already covered,
    /// since the first set is "everything". <paramref name="excluded"/> (absolute paths backup writes) never mark anything.
    /// A change to a file that decides what a directory leaves out (its <see cref="Sources.ExcludeRules.IgnoreFileName"/>,
    /// and the tags of <paramref name="rules"/>) marks that directory deep: everything below may now be in or out.
    /// </summary>
    /// <exception cref="IOException">No inotify instance could be made (the per-user limit): the caller polls instead.</exception>
    public TreeWatch(
        string root, IReadOnlySet<string>? excluded = null, TimeProvider? time = null, ILogger? logger = null, Func<bool>? parkedWhile = null,
        Sources.ExcludeRules? rules = null)
    {
        _ruleFiles = [Encoding.UTF8.GetBytes(Sources.ExcludeRules.IgnoreFileName)];
        if (rules is not null)
        {
            _ruleFiles.AddRange(rules.ExcludeIfPresent.Select(EntryName.Encode));
            if (rules.ExcludeCaches)
            {
                _ruleFiles.Add(Encoding.UTF8.GetBytes(Sources.ExcludeRules.CacheTagName));
            }
        }
        _parkedWhile = parkedWhile;
        ArgumentNullException.ThrowIfNull(root);
        Root = root;
        _excluded = excluded ?? new HashSet<string>();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _pending = NewSet();
        _pending.AddEverything();
        _mounts = MountsBelow(root);
        _inotify = new Inotify();
        RemoveLeftoverCookies();
        _reader = new Thread(Read) { IsBackground = true, Name = "inotify " + root };
        _reader.Start();
    }

    /// <summary>The watched root.</summary>
    public string Root { get; }

    /// <summary>How changes are found now.</summary>
    public WatchMode Mode { get; private set; } = WatchMode.Inotify;

    /// <summary>Signalled at each event that marks something (and at a failure of the reader): a snapshot may be due.</summary>
    public event Action? Changed;

    /// <summary>Watches in use.</summary>
    public int Watches { get { lock (_lock) { return _watches.Count; } } }

    /// <summary>Events that marked something since the last cut.</summary>
    public long PendingEvents { get; private set; }

    /// <summary>When the first and the last event since the last cut came; null when none came.</summary>
    public DateTimeOffset? FirstEvent { get; private set; }

    /// <inheritdoc cref="FirstEvent"/>
    public DateTimeOffset? LastEvent { get; private set; }

    /// <summary>Queue overflows met (each marks the whole tree).</summary>
    public long Overflows { get; private set; }

    /// <summary>True once the watch table was full: the caller says so once, with the numbers, and polls.</summary>
    public bool LimitReached { get { lock (_lock) { return _limitReached; } } }

    /// <summary>Directories marked now (the whole tree counts as one).</summary>
    public int PendingDirectories { get { lock (_lock) { return _pending.Everything ? 1 : _pending.Count; } } }

    /// <summary>
    /// Takes the dirty set for a snapshot: writes a cookie file in the root and waits (at most <paramref name="timeout"/>)
    /// for its event, so that every change made before the call is in the set, then swaps in an empty one. A barrier
    /// that fails marks the set "everything". Events that come after belong to the next set.
    /// </summary>
    public async Task<ChangedDirectories> CutAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Before the root is watched (the first walk watches it) there is no event to wait for: that set is "everything".
        bool rootWatched;
        lock (_lock)
        {
            rootWatched = _watches.ContainsKey("");
        }
        var reached = Mode == WatchMode.Inotify && rootWatched && await BarrierAsync(timeout, cancellationToken);
        lock (_lock)
        {
            var cut = _pending;
            if (!reached)
            {
                cut.AddEverything();
            }
            _pending = NewSet();
            PendingEvents = 0;
            FirstEvent = LastEvent = null;
            return cut;
        }
    }

    /// <summary>Puts back a set whose snapshot failed, so that its directories are listed by the next one.</summary>
    public void Restore(ChangedDirectories cut)
    {
        ArgumentNullException.ThrowIfNull(cut);
        lock (_lock)
        {
            _pending.UnionWith(cut);
            FirstEvent ??= _time.GetUtcNow();
            LastEvent ??= FirstEvent;
        }
    }

    /// <summary>Marks the whole tree (a rescan is due).</summary>
    public void MarkEverything()
    {
        lock (_lock)
        {
            _pending.AddEverything();
            Touch();
        }
        Changed?.Invoke();
    }

    /// <summary>A set of the whole tree that adds watches as its walk goes (for a rescan, which leaves the pending set alone).</summary>
    public ChangedDirectories Everything()
    {
        var all = NewSet();
        all.AddEverything();
        return all;
    }

    private ChangedDirectories NewSet() => new(AddWatch);

    private async Task<bool> BarrierAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var name = $"{CookiePrefix}{Environment.ProcessId}-{Interlocked.Increment(ref _cookieNumber)}";
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _cookies[name] = seen;
        }
        var path = Path.Join(Root, name);
        var nameBytes = Encoding.ASCII.GetBytes(name);
        WalkDirectory root;
        try
        {
            // Through the root's descriptor (opened level by level, through no symlink), never by path: the tree may be
            // someone else's to change, and root must not create or delete a file where a swapped folder leads.
            root = WalkDirectory.OpenRoot(Root);
            try
            {
                root.CreateEmptyFile(nameBytes, path);
            }
            catch
            {
                root.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_lock)
            {
                _cookies.Remove(name);
            }
            _logger.LogDebug("{Root}: no cookie file could be written ({Message}): listing the whole tree", Root, e.Message);
            return false;
        }
        using var held = root;
        try
        {
            await seen.Task.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("{Root}: the watch did not report its cookie within {Timeout}: listing the whole tree", Root, timeout);
            return false;
        }
        finally
        {
            lock (_lock)
            {
                _cookies.Remove(name);
            }
            try
            {
                root.DeleteFile(nameBytes, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("{Root}: cookie {Name} could not be removed: {Message}", Root, name, e.Message);
            }
        }
    }

    /// <summary>Adds (or renews) the watch of a directory a walk is about to list. Never throws.</summary>
    private void AddWatch(WalkDirectory directory, byte[] relativePath)
    {
        if (Mode != WatchMode.Inotify)
        {
            return;
        }
        try
        {
            var wd = directory.AddWatch(_inotify);
            var key = Encoding.Latin1.GetString(relativePath);
            lock (_lock)
            {
                if (_paths.TryGetValue(wd, out var before) && Encoding.Latin1.GetString(before) is var old && old != key)
                {
                    _watches.Remove(old);
                }
                _paths[wd] = relativePath;
                _watches[key] = wd;
            }
        }
        catch (WatchLimitException)
        {
            lock (_lock)
            {
                _limitReached = true;
                Mode = WatchMode.Polling;
                foreach (var wd in _paths.Keys)
                {
                    _inotify.Remove(wd);
                }
                _paths.Clear();
                _watches.Clear();
            }
        }
        catch (IOException e)
        {
            // Gone already (its parent's event marks it), or refused: the walk reports what it cannot read.
            _logger.LogDebug("{Root}: {Path} not watched: {Message}", Root, directory.Path, e.Message);
        }
    }

    private void Read()
    {
        try
        {
            _inotify.Run(OnEvent, OnMountsChanged, _parkedWhile);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _logger.LogError("{Root}: the watch failed ({Message}); walking the tree at every interval instead", Root, e.Message);
            lock (_lock)
            {
                Mode = WatchMode.Polling;
            }
            MarkEverything();
        }
    }

    private void OnEvent(InotifyEvent e)
    {
        var changed = false;
        lock (_lock)
        {
            if ((e.Mask & Inotify.QueueOverflow) != 0)
            {
                Overflows++;
                _logger.LogWarning("{Root}: the inotify queue overflowed (fs.inotify.max_queued_events is {Max}); listing the whole tree", Root, Inotify.MaxQueuedEvents);
                _pending.AddEverything();
                Touch();
                changed = true;
            }
            else if (_paths.TryGetValue(e.Wd, out var directory))
            {
                changed = Mark(e, directory);
            }
        }
        if (changed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>Marks what one event of the watch on <paramref name="directory"/> touched; false for the watch's own events.</summary>
    private bool Mark(InotifyEvent e, byte[] directory)
    {
        if ((e.Mask & Inotify.Ignored) != 0)
        {
            _paths.Remove(e.Wd);
            var key = Encoding.Latin1.GetString(directory);
            if (_watches.TryGetValue(key, out var wd) && wd == e.Wd)
            {
                _watches.Remove(key);
            }
            if (directory.Length == 0)
            {
                _pending.AddEverything(); // the root went away (deleted, unmounted): the next walk says so, or watches it anew
                Touch();
                return true;
            }
            return false;
        }
        if (e.Name.Length == 0)
        {
            // The directory itself: its own node lies in its parent's tree, whose watch also reports it by name. But the
            // root moved or deleted leaves its path to whatever comes there next: walk that anew (no cookie can be awaited).
            if (directory.Length == 0 && (e.Mask & (Inotify.DeleteSelf | Inotify.MoveSelf)) != 0)
            {
                _watches.Remove("");
                _pending.AddEverything();
                Touch();
                return true;
            }
            return false;
        }
        if (directory.Length == 0 && e.Name.AsSpan().StartsWith(CookiePrefixBytes))
        {
            if ((e.Mask & Inotify.Create) != 0 && _cookies.TryGetValue(Encoding.Latin1.GetString(e.Name), out var cookie))
            {
                cookie.TrySetResult();
            }
            return false;
        }
        var child = Sources.TreeWalker.Join(directory, e.Name);
        if (_excluded.Count > 0 && _excluded.Contains(Path.Join(Root, EntryName.Decode(child))))
        {
            return false;
        }
        _pending.Add(directory, deep: _ruleFiles.Exists(name => e.Name.AsSpan().SequenceEqual(name)));
        if ((e.Mask & Inotify.IsDir) != 0)
        {
            if ((e.Mask & (Inotify.Create | Inotify.MovedTo)) != 0)
            {
                _pending.Add(child, deep: true);
            }
            else if ((e.Mask & Inotify.MovedFrom) != 0)
            {
                Unwatch(child);
            }
        }
        Touch();
        if (_pending.Count > MaxMarked)
        {
            _pending.AddEverything();
        }
        return true;
    }

    /// <summary>Drops the watches of a directory moved away and of everything below it: if it moved within the tree, its new place is marked deep, and its walk watches it again.</summary>
    private void Unwatch(byte[] directory)
    {
        var key = Encoding.Latin1.GetString(directory);
        var below = key + "/";
        foreach (var (path, wd) in _watches.Where(w => w.Key == key || w.Key.StartsWith(below, StringComparison.Ordinal)).ToList())
        {
            _inotify.Remove(wd);
            _watches.Remove(path);
            _paths.Remove(wd);
        }
    }

    private void Touch()
    {
        var now = _time.GetUtcNow();
        FirstEvent ??= now;
        LastEvent = now;
        PendingEvents++;
    }

    private void RemoveLeftoverCookies()
    {
        try
        {
            using var root = WalkDirectory.OpenRoot(Root);
            foreach (var entry in root.List())
            {
                if (entry.Name.AsSpan().StartsWith(CookiePrefixBytes) && entry.Status.Type == FileType.File)
                {
                    root.DeleteFile(entry.Name, Path.Join(Root, EntryName.Decode(entry.Name)));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("{Root}: leftover cookies not removed: {Message}", Root, e.Message);
        }
    }

    private static ReadOnlySpan<byte> CookiePrefixBytes => ".backup-cookie-"u8;

    /// <inheritdoc/>
    public void Dispose()
    {
        _inotify.Stop();
        _reader.Join();
        _inotify.Dispose();
    }
}
