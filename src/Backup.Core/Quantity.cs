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

    /// <summary>
    /// Parses a size as people write it: a number (decimals allowed) and an optional unit, case-insensitive, with or
    /// without a space: <c>B</c>; <c>K</c>, <c>M</c>, <c>G</c>, <c>T</c> and <c>KiB</c>...<c>TiB</c> are powers of 1024
    /// (as restic reads them); <c>KB</c>...<c>TB</c> are powers of 1000. "10M", "1.5GiB", "500 kB", "123".
    /// The result is rounded down to whole bytes.
    /// </summary>
    /// <exception cref="FormatException">Not such a size, or negative, or above <see cref="long.MaxValue"/>; the message names the text.</exception>
    public static long ParseBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var split = 0;
        while (split < trimmed.Length && (char.IsAsciiDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }
        var unit = trimmed[split..].Trim().ToUpperInvariant();
        long? multiplier = unit switch
        {
            "" or "B" => 1,
            "K" or "KIB" => 1L << 10,
            "M" or "MIB" => 1L << 20,
            "G" or "GIB" => 1L << 30,
            "T" or "TIB" => 1L << 40,
            "KB" => 1000,
            "MB" => 1000_000,
            "GB" => 1000_000_000,
            "TB" => 1000_000_000_000,
            _ => null,
        };
        if (split == 0 || multiplier is null
            || !decimal.TryParse(trimmed[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"not a size: '{text}' (write it as 500K, 10M, 1.5GiB, 2GB or a number of bytes)");
        }
        var bytes = number <= long.MaxValue ? number * multiplier.Value : decimal.MaxValue;
        if (bytes > long.MaxValue)
        {
            throw new FormatException($"size too large: '{text}'");
        }
        return (long)decimal.Floor(bytes);
    }
}
