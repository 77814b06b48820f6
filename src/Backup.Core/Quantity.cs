using System.Globalization;

namespace Backup.Core;

/// <summary>
/// Sizes and counts as people read them, the same in the daemon's log as in a command's output: "120.4 MiB",
/// "1 directory", "2 directories". Invariant culture; thread-safe.
/// </summary>
public static class Quantity
{
    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>"812 B", "1.5 KiB", "120.4 MiB": bytes below 1 KiB, else one decimal in binary units up to TiB.</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {s_units[unit]}");
    }

    /// <summary>"1 file", "2 files"; <paramref name="plural"/> for nouns that do not just take an s ("directories").</summary>
    public static string Count(long n, string noun, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {(n == 1 ? noun : plural ?? noun + "s")}");
}
