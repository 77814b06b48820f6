using System.Globalization;
using Backup.Core;
using Spectre.Console;

namespace Backup.Cli;

/// <summary>
/// The words of progress, the same on a terminal and in plain lines: "archiving /home/me/Documents",
/// "120 of 812 files, 50.1 MiB of 120.4 MiB", "12.3 MiB/s", "ETA 0:07". Invariant culture.
/// </summary>
internal static class ProgressText
{
    /// <summary>"0:07", "12:30", "1:02:03".</summary>
    public static string Duration(TimeSpan time) => time.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}:{time.Seconds:00}");

    /// <summary>What is done to what: "archiving /home/me/Documents".</summary>
    public static string Heading(ProgressSnapshot s) => $"{s.Phase} {Formatting.Path(s.Subject)}";

    /// <summary>"41.2%", or null when no total is known.</summary>
    public static string? Percent(ProgressSnapshot s) =>
        s.Fraction is { } f ? string.Create(CultureInfo.InvariantCulture, $"{f * 100:0.0}%") : null;

    /// <summary>"120 of 812 files, 50.1 MiB of 120.4 MiB"; without totals "120 files, 50.1 MiB"; bytes left out where none are counted.</summary>
    public static string Counts(ProgressSnapshot s)
    {
        var items = s.TotalItems is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{s.ItemsDone} of {total} {s.Unit}")
            : string.Create(CultureInfo.InvariantCulture, $"{s.ItemsDone} {s.Unit}");
        if (s.TotalBytes is null && s.BytesDone == 0)
        {
            return items;
        }
        var bytes = s.TotalBytes is { } totalBytes
            ? $"{Formatting.Bytes(s.BytesDone)} of {Formatting.Bytes(totalBytes)}"
            : Formatting.Bytes(s.BytesDone);
        return $"{items}, {bytes}";
    }

    /// <summary>"12.3 MiB/s", or null before bytes have moved.</summary>
    public static string? Rate(ProgressSnapshot s) =>
        s.BytesDone > 0 && s.Elapsed > TimeSpan.Zero ? $"{Formatting.Bytes((long)s.BytesPerSecond)}/s" : null;

    /// <summary>"ETA 0:07", or null while it cannot be told.</summary>
    public static string? Eta(ProgressSnapshot s) => s.Remaining is { } left && s.ItemsDone + s.BytesDone > 0 ? $"ETA {Duration(left)}" : null;

    /// <summary>
    /// One plain line, for a log: "[0:05] archiving /home/me/Documents: 41.2%, 120 of 812 files, 50.1 MiB of 120.4 MiB,
    /// 12.3 MiB/s, ETA 0:07, docs/report.pdf".
    /// </summary>
    public static string Line(ProgressSnapshot s)
    {
        var counted = s.TotalItems is not null || s.TotalBytes is not null || s.ItemsDone + s.BytesDone > 0;
        var parts = new[] { Percent(s), counted ? Counts(s) : null, Rate(s), Eta(s), s.Current is { } c ? Formatting.Path(c) : null };
        if (!parts.Any(p => p is not null))
        {
            return $"[{Duration(s.Elapsed)}] {Heading(s)}";
        }
        return $"[{Duration(s.Elapsed)}] {Heading(s)}: {string.Join(", ", parts.OfType<string>())}";
    }

    /// <summary>
    /// How many terminal columns <paramref name="text"/> takes: the sum over its graphemes of Spectre.Console's cell
    /// widths (two for a CJK character or an emoji, none for a combining mark).
    /// </summary>
    public static int Columns(string text)
    {
        var columns = 0;
        foreach (var grapheme in Graphemes(text))
        {
            columns += grapheme.Columns;
        }
        return columns;
    }

    /// <summary>
    /// <paramref name="text"/> cut to <paramref name="width"/> terminal columns, its end replaced by "…" (counts keep
    /// their start). Cuts fall between graphemes only, so no surrogate pair or accented letter is split.
    /// </summary>
    public static string FitStart(string text, int width)
    {
        if (width <= 0)
        {
            return "";
        }
        var graphemes = Graphemes(text);
        if (graphemes.Sum(g => g.Columns) <= width)
        {
            return text;
        }
        var head = Head(text, graphemes, width == 1 ? 1 : width - 1);
        return width == 1 ? head : head + "…";
    }

    /// <summary>
    /// <paramref name="text"/> cut to <paramref name="width"/> terminal columns, its middle replaced by "…" (a path keeps
    /// its start and its file name); empty when the width leaves no room. Cuts fall between graphemes only.
    /// </summary>
    public static string Fit(string text, int width)
    {
        if (width <= 0)
        {
            return "";
        }
        var graphemes = Graphemes(text);
        if (graphemes.Sum(g => g.Columns) <= width)
        {
            return text;
        }
        if (width < 5)
        {
            return Head(text, graphemes, width);
        }
        var head = Head(text, graphemes, (width - 1) / 3);
        // A wide character that did not fit in the head leaves its column to the tail.
        return string.Concat(head, "…", Tail(text, graphemes, width - 1 - Columns(head)));
    }

    /// <summary>The longest start of <paramref name="text"/>, in whole graphemes, that takes at most <paramref name="columns"/>.</summary>
    private static string Head(string text, List<Grapheme> graphemes, int columns)
    {
        var end = 0;
        foreach (var g in graphemes)
        {
            if (g.Columns > columns)
            {
                break;
            }
            columns -= g.Columns;
            end = g.Start + g.Length;
        }
        return text[..end];
    }

    /// <summary>The longest end of <paramref name="text"/>, in whole graphemes, that takes at most <paramref name="columns"/>.</summary>
    private static string Tail(string text, List<Grapheme> graphemes, int columns)
    {
        var start = text.Length;
        for (var i = graphemes.Count - 1; i >= 0 && graphemes[i].Columns <= columns; i--)
        {
            columns -= graphemes[i].Columns;
            start = graphemes[i].Start;
        }
        return text[start..];
    }

    /// <summary>The graphemes (user-perceived characters) of <paramref name="text"/>, each with the columns it takes.</summary>
    private static List<Grapheme> Graphemes(string text)
    {
        var graphemes = new List<Grapheme>();
        for (var start = 0; start < text.Length;)
        {
            var length = StringInfo.GetNextTextElementLength(text, start);
            // Spectre.Console counts a control character as -1; it takes no column of its own.
            graphemes.Add(new(start, length, Math.Max(0, text.Substring(start, length).GetCellWidth())));
            start += length;
        }
        return graphemes;
    }

    private readonly record struct Grapheme(int Start, int Length, int Columns);
}
