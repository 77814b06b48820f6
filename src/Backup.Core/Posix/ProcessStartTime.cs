using System.Globalization;

namespace Backup.Core.Posix;

/// <summary>
/// When a process of this host started, in clock ticks after boot (field 22 of <c>/proc/PID/stat</c>): with its pid it
/// names one process, and tells it apart from a later one that reuses the pid.
/// </summary>
internal static class ProcessStartTime
{
    /// <summary>The start time of <paramref name="pid"/>, or null when no such process lives (or /proc does not show it).</summary>
    public static ulong? Of(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count the fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int StartTime = 22 - 3; // field 3 (state) is the first after comm
        return fields.Length > StartTime && ulong.TryParse(fields[StartTime], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? start
            : null;
    }
}
