using System.Globalization;
using System.Text;

namespace Backup.Core.Snapshots;

/// <summary>
/// A duration of the <c>--keep-within*</c> rules, as restic writes one: years, months, days and hours, such as
/// <c>2y5m7d3h</c> (<c>m</c> is months, as in restic; there are no minutes or seconds). It is calendar arithmetic: one
/// month back from 31 March is 29 February in a leap year.
/// </summary>
/// <param name="Years">Calendar years.</param>
/// <param name="Months">Calendar months.</param>
/// <param name="Days">Calendar days.</param>
/// <param name="Hours">Hours.</param>
public readonly record struct RetentionDuration(int Years, int Months, int Days, int Hours)
{
    // Far past any snapshot's age, and small enough that the sums below never overflow.
    private const int Largest = 100_000;

    /// <summary>One hour.</summary>
    public static RetentionDuration OneHour { get; } = new(0, 0, 0, 1);

    /// <summary>
    /// The instant this duration before <paramref name="newest"/>: a rule keeps the snapshots strictly newer than it.
    /// A duration longer than the calendar allows gives <see cref="DateTimeOffset.MinValue"/>.
    /// </summary>
    public DateTimeOffset Before(DateTimeOffset newest)
    {
        try
        {
            return newest.AddYears(-Years).AddMonths(-Months).AddDays(-Days).AddHours(-Hours);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MinValue;
        }
    }

    /// <summary>
    /// Parses restic's form: one or more of a whole number followed by <c>y</c>, <c>m</c>, <c>d</c> or <c>h</c>, each
    /// unit at most once, in that order, not all zero. Returns false (with a reason) for anything else.
    /// </summary>
    public static bool TryParse(string? text, out RetentionDuration duration, out string error)
    {
        duration = default;
        error = "";
        var fields = new int[4];
        var next = 0;
        var i = 0;
        text ??= "";
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            if (i == start || i == text.Length)
            {
                error = "expected a number followed by y, m, d or h";
                return false;
            }
            var unit = "ymdh".IndexOf(text[i], StringComparison.Ordinal);
            if (unit < next)
            {
                error = unit < 0 ? $"unknown unit '{text[i]}' (use y, m, d or h)" : "give each of y, m, d and h at most once, in that order";
                return false;
            }
            if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > Largest)
            {
                error = $"{text[start..i]} is too large";
                return false;
            }
            fields[unit] = value;
            next = unit + 1;
            i++;
        }
        if (next == 0 || fields.All(f => f == 0))
        {
            error = "expected a duration longer than zero";
            return false;
        }
        duration = new RetentionDuration(fields[0], fields[1], fields[2], fields[3]);
        return true;
    }

    /// <summary>The duration as restic writes it, units that are zero left out: <c>1h</c>, <c>30d</c>, <c>2y5m7d3h</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (value, unit) in new[] { (Years, 'y'), (Months, 'm'), (Days, 'd'), (Hours, 'h') })
        {
            if (value != 0)
            {
                text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }
        return text.Length == 0 ? "0h" : text.ToString();
    }
}
