using System.Text;
using Microsoft.Extensions.Logging;

namespace Backup.Core.Changes;

/// <summary>Mounts and unmounts below a watched root: no inotify event tells of them, the mount table does.</summary>
public sealed partial class TreeWatch
{
    private void OnMountsChanged()
    {
        var now = MountsBelow(Root);
        bool changed;
        lock (_lock)
        {
            var moved = now.Except(_mounts).Concat(_mounts.Except(now)).ToList();
            _mounts = now;
            foreach (var mount in moved)
            {
                var relative = Encoding.Latin1.GetBytes(mount[(Root.TrimEnd('/').Length + 1)..]);
                var cut = Array.LastIndexOf(relative, (byte)'/');
                _pending.Add(cut < 0 ? [] : relative[..cut]);
                _pending.Add(relative, deep: true);
                _logger.LogInformation("{Root}: {Mount} was mounted or unmounted; listing it anew", Root, mount);
                Touch();
            }
            changed = moved.Count > 0;
        }
        if (changed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>The mount points strictly below <paramref name="root"/>, from <c>/proc/self/mountinfo</c> (field 5, octal escapes kept).</summary>
    private static HashSet<string> MountsBelow(string root)
    {
        var below = root.TrimEnd('/') + "/";
        var mounts = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 4 && fields[4].StartsWith(below, StringComparison.Ordinal))
                {
                    mounts.Add(fields[4]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No mount table to read: mounts below the root are met by the rescans only.
        }
        return mounts;
    }
}
