using System.Globalization;
using Backup.Core;

namespace Backup.Cli;

/// <summary>How the command line prints sizes and times.</summary>
internal static class Formatting
{
    /// <summary>See <see cref="Quantity.Bytes"/>: the daemon's log, written in Core, says sizes the same way.</summary>
    public static string Bytes(long bytes) => Quantity.Bytes(bytes);

    /// <summary>"1 file", "2 files"; <paramref name="plural"/> for nouns that do not just take an s.</summary>
    public static string Count(long n, string noun, string? plural = null) => Quantity.Count(n, noun, plural);

    /// <summary>JSON as people read it: indented, non-ASCII characters kept as they are.</summary>
    public static System.Text.Json.JsonWriterOptions Json { get; } = new()
    {
        Indented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Time(DateTimeOffset time) =>
        time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>How long ago, roughly: "40 s", "12 min", "5 h 3 min", "3 days". A negative span (clock skew) is "0 s".</summary>
    public static string Age(TimeSpan age) => age switch
    {
        { Ticks: < 0 } => "0 s",
        { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalSeconds} s"),
        { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes} min"),
        { TotalDays: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours} h {age.Minutes} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays} days"),
    };

    /// <summary>Control characters (a newline in a file name) escaped, so that one path stays on one line.</summary>
    public static string Path(string path) => Backup.Core.Posix.EntryName.Escape(path);
}
