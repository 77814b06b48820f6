using System.Globalization;

namespace Backup.Core.Posix;

/// <summary>
/// The pid namespace of this process, as the inode number that <c>readlink /proc/self/ns/pid</c> shows
/// (<c>pid:[4026531836]</c>): processes that show the same number see the same pids, so only there does a pid (and its
/// <see cref="ProcessStartTime"/>) name a process.
/// </summary>
internal static class PidNamespace
{
    /// <summary>The inode number of this process's pid namespace, or null when /proc does not show it.</summary>
    public static ulong? Current()
    {
        string? target;
        try
        {
            target = new FileInfo("/proc/self/ns/pid").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        const string Prefix = "pid:[";
        return target is not null && target.StartsWith(Prefix, StringComparison.Ordinal) && target.EndsWith(']')
            && ulong.TryParse(target.AsSpan(Prefix.Length, target.Length - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            ? inode
            : null;
    }
}
