using System.CommandLine;
using System.CommandLine.Parsing;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// The <c>--keep-*</c> options of <c>forget</c> and <c>daemon --watch</c>, named as restic names them: counts
/// (<c>--keep-last</c>, <c>--keep-hourly</c>...) and durations (<c>--keep-within</c>, <c>--keep-within-hourly</c>...,
/// written <c>2y5m7d3h</c>). A new instance per command: an option belongs to one command.
/// </summary>
internal sealed class RetentionOptions
{
    private static readonly string[] s_units = ["hourly", "daily", "weekly", "monthly", "yearly"];

    private readonly Option<int>[] _counts;
    private readonly Option<RetentionDuration?>[] _windows;

    /// <summary>Makes the twelve options, each description after <paramref name="context"/> (where the options apply).</summary>
    public RetentionOptions(string context = "")
    {
        _counts = [Count("last", context), .. s_units.Select(u => Count(u, context))];
        _windows = [Window("", context), .. s_units.Select(u => Window(u, context))];
    }

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All => [.. _counts, .. _windows];

    /// <summary>True when the command line gave any of them.</summary>
    public bool AnyGiven(CommandResult result) => All.Any(o => result.GetResult(o) is { Implicit: false });

    /// <summary>The policy the command line gives (empty when none is given).</summary>
    public RetentionPolicy Policy(ParseResult parse) => new()
    {
        Last = parse.GetValue(_counts[0]),
        Hourly = parse.GetValue(_counts[1]),
        Daily = parse.GetValue(_counts[2]),
        Weekly = parse.GetValue(_counts[3]),
        Monthly = parse.GetValue(_counts[4]),
        Yearly = parse.GetValue(_counts[5]),
        Within = parse.GetValue(_windows[0]),
        HourlyWithin = parse.GetValue(_windows[1]),
        DailyWithin = parse.GetValue(_windows[2]),
        WeeklyWithin = parse.GetValue(_windows[3]),
        MonthlyWithin = parse.GetValue(_windows[4]),
        YearlyWithin = parse.GetValue(_windows[5]),
    };

    /// <summary>Parses restic's duration (<c>2y5m7d3h</c>; <c>m</c> is months); anything else is a usage error naming the value.</summary>
    internal static RetentionDuration? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        if (!RetentionDuration.TryParse(text, out var duration, out var error))
        {
            result.AddError($"invalid duration '{text}' for {(result.Parent as OptionResult)?.Option.Name}: {error}; use years, months, days and hours such as 1h, 30d or 2y5m7d3h (m is months)");
            return null;
        }
        return duration;
    }

    private static string Describe(string context, string text) =>
        context.Length == 0 ? char.ToUpperInvariant(text[0]) + text[1..] : context + text;

    private static Option<int> Count(string unit, string context)
    {
        var periods = unit switch { "last" => "snapshots", "daily" => "days", _ => unit.Replace("ly", "s", StringComparison.Ordinal) };
        var option = new Option<int>($"--keep-{unit}")
        {
            Description = Describe(context, unit == "last" ? "keep the N newest snapshots" : $"keep the newest snapshot of each of the last N {periods} that have one"),
            HelpName = "N",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError($"{option.Name} must not be negative");
            }
        });
        return option;
    }

    private static Option<RetentionDuration?> Window(string unit, string context)
    {
        var period = unit switch { "" => "", "daily" => "day", _ => unit.Replace("ly", "", StringComparison.Ordinal) };
        return new Option<RetentionDuration?>(unit == "" ? "--keep-within" : $"--keep-within-{unit}")
        {
            Description = Describe(context, unit == ""
                ? "keep every snapshot newer than DURATION before the newest one (1h, 30d, 2y5m7d3h: m is months)"
                : $"keep the newest snapshot of each {period} within DURATION of the newest one"),
            HelpName = "DURATION",
            CustomParser = ParseDuration,
        };
    }
}
