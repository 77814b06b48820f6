using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// The files, symlinks and hard links a restore finished inside directories it created, known by device and inode
/// only: what <see cref="RestoreTarget.Abandon"/> removes from those directories, listing them, when a restore fails
/// after them. The inodes are kept as runs of consecutive numbers (16 bytes a run), sorted and merged whenever their
/// number doubles: a file system gives the files of a restore mostly consecutive inodes, so a million files take a
/// few kilobytes, and inodes in no order at worst 16 bytes each (a hash set took about 20, and twice that while it
/// grew). Thread-safe.
/// </summary>
internal sealed class FinishedEntries
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, InodeRuns> _inodesByDevice = [];

    /// <summary>Remembers the entry <paramref name="entry"/>, which is not a directory.</summary>
    public void Add(CreatedEntry entry)
    {
        lock (_lock)
        {
            if (!_inodesByDevice.TryGetValue(entry.Device, out var inodes))
            {
                _inodesByDevice.Add(entry.Device, inodes = new InodeRuns());
            }
            inodes.Add(entry.Inode);
        }
    }

    /// <summary>True when <paramref name="status"/> (of a name in a created directory) is an entry this restore finished.</summary>
    public bool Contains(FileStatus status)
    {
        lock (_lock)
        {
            return status.Type != FileType.Directory && _inodesByDevice.TryGetValue(status.Device, out var inodes) && inodes.Contains(status.Inode);
        }
    }

    /// <summary>True when nothing was remembered.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _inodesByDevice.Count == 0;
            }
        }
    }

    /// <summary>The runs kept for a device, for tests: how compactly the inodes were kept.</summary>
    internal int RunsOf(ulong device)
    {
        lock (_lock)
        {
            return _inodesByDevice.TryGetValue(device, out var inodes) ? inodes.Compact() : 0;
        }
    }

    /// <summary>A set of inode numbers as runs <c>[Start, Start + Count)</c>; sorted and merged on demand. Not thread-safe.</summary>
    private sealed class InodeRuns
    {
        private readonly List<(ulong Start, ulong Count)> _runs = [];
        private int _compactAt = 1024;
        private bool _sorted = true;

        public void Add(ulong inode)
        {
            if (_runs.Count > 0 && _runs[^1].Start + _runs[^1].Count == inode)
            {
                _runs[^1] = (_runs[^1].Start, _runs[^1].Count + 1);
                return;
            }
            _sorted &= _runs.Count == 0 || inode > _runs[^1].Start + _runs[^1].Count;
            _runs.Add((inode, 1));
            if (_runs.Count >= _compactAt)
            {
                Compact();
                _compactAt = Math.Max(1024, _runs.Count * 2);
            }
        }

        public bool Contains(ulong inode)
        {
            Compact();
            int low = 0, high = _runs.Count - 1;
            while (low <= high)
            {
                var middle = low + ((high - low) / 2);
                var (start, count) = _runs[middle];
                if (inode < start)
                {
                    high = middle - 1;
                }
                else if (inode >= start + count)
                {
                    low = middle + 1;
                }
                else
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>Sorts the runs and merges those that touch or overlap; returns how many remain.</summary>
        public int Compact()
        {
            if (!_sorted)
            {
                _runs.Sort((x, y) => x.Start.CompareTo(y.Start));
            }
            var kept = 0;
            for (var i = 0; i < _runs.Count; i++)
            {
                var run = _runs[i];
                if (kept > 0 && run.Start <= _runs[kept - 1].Start + _runs[kept - 1].Count)
                {
                    var last = _runs[kept - 1];
                    var end = Math.Max(last.Start + last.Count, run.Start + run.Count);
                    _runs[kept - 1] = (last.Start, end - last.Start);
                }
                else
                {
                    _runs[kept++] = run;
                }
            }
            _runs.RemoveRange(kept, _runs.Count - kept);
            _sorted = true;
            return kept;
        }
    }
}
