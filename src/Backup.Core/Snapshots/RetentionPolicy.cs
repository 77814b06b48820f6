using System.Globalization;

namespace Backup.Core.Snapshots;

/// <summary>
/// Which snapshots <c>forget</c> keeps, by restic's documented rules: within each group (host and path), going from the
/// newest snapshot to the oldest, <c>--keep-last n</c> keeps the n newest; <c>--keep-hourly n</c> keeps the newest
/// snapshot of each of the last n hours that have one, and so on for days, ISO weeks, months and years.
/// <c>--keep-within d</c> keeps every snapshot newer than the newest snapshot's time minus d, and
/// <c>--keep-within-hourly d</c> (daily, weekly, monthly, yearly) the newest of each hour (day...) among them. A snapshot
/// kept by any rule is kept, so a policy that is not empty always keeps the newest snapshot. As restic does since 0.17,
/// when a time rule asks for more periods than have snapshots, or a within rule reaches past the oldest snapshot, the
/// oldest snapshot is kept too ("oldest daily"). Times are bucketed in the offset they were recorded with (UTC for
/// snapshots made here). Immutable, so thread-safe.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>
    /// The daemon's policy in watch mode, as Time Machine keeps its backups: every snapshot of the last hour, the newest
    /// of each hour for a day, of each day for 30 days, and of each ISO week for ever.
    /// </summary>
    public static RetentionPolicy WatchDefault { get; } = new()
    {
        // A snapshot after each change: an hour of them is what undoing a recent mistake needs.
        Within = RetentionDuration.OneHour,
        HourlyWithin = new RetentionDuration(0, 0, 0, 24),
        DailyWithin = new RetentionDuration(0, 0, 30, 0),
        // "For ever": no history holds int.MaxValue weeks.
        Weekly = int.MaxValue,
    };

    /// <summary>Keep the n newest.</summary>
    public int Last { get; init; }

    /// <summary>Keep the newest of each of the last n hours with a snapshot.</summary>
    public int Hourly { get; init; }

    /// <summary>Days.</summary>
    public int Daily { get; init; }

    /// <summary>ISO weeks.</summary>
    public int Weekly { get; init; }

    /// <summary>Months.</summary>
    public int Monthly { get; init; }

    /// <summary>Years.</summary>
    public int Yearly { get; init; }

    /// <summary>Keep every snapshot newer than the newest snapshot's time minus this.</summary>
    public RetentionDuration? Within { get; init; }

    /// <summary>Keep the newest of each hour among the snapshots newer than the newest's time minus this.</summary>
    public RetentionDuration? HourlyWithin { get; init; }

    /// <summary>Days, within this of the newest.</summary>
    public RetentionDuration? DailyWithin { get; init; }

    /// <summary>ISO weeks, within this of the newest.</summary>
    public RetentionDuration? WeeklyWithin { get; init; }

    /// <summary>Months, within this of the newest.</summary>
    public RetentionDuration? MonthlyWithin { get; init; }

    /// <summary>Years, within this of the newest.</summary>
    public RetentionDuration? YearlyWithin { get; init; }

    /// <summary>True when no rule is set: restic then refuses to remove anything, and so does forget.</summary>
    public bool IsEmpty => Rules().All(r => r.Count == 0);

    /// <summary>The rules set, as the reasons name them: "last 2, within 1h, hourly within 24h, weekly"; "none" when empty.</summary>
    public override string ToString()
    {
        var set = Rules().Where(r => r.Count > 0).Select(r => r.Within is null && r.Count != int.MaxValue ? $"{r.Name} {r.Count}" : r.Name).ToList();
        return set.Count == 0 ? "none" : string.Join(", ", set);
    }

    /// <summary>Splits one group's snapshots into kept (with the reasons) and removed.</summary>
    public (IReadOnlyList<(T Item, IReadOnlyList<string> Reasons)> Keep, IReadOnlyList<T> Remove) Apply<T>(IEnumerable<T> snapshots, Func<T, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var rules = Rules();
        var ordered = snapshots.OrderByDescending(time).ToList();
        if (ordered.Count == 0)
        {
            return ([], []);
        }
        var newest = time(ordered[0]);
        var cutoffs = rules.Select(r => r.Within?.Before(newest)).ToArray();
        var left = rules.Select(r => r.Count).ToArray();
        var lastBucket = new string?[rules.Length];
        var keep = new List<(T, IReadOnlyList<string>)>();
        var remove = new List<T>();
        foreach (var snapshot in ordered)
        {
            var reasons = new List<string>();
            for (var i = 0; i < rules.Length; i++)
            {
                if (left[i] <= 0 || (cutoffs[i] is { } cutoff && time(snapshot) <= cutoff))
                {
                    continue;
                }
                var bucket = rules[i].Bucket?.Invoke(time(snapshot));
                if (bucket is null || bucket != lastBucket[i])
                {
                    reasons.Add(rules[i].Name);
                    left[i]--;
                    lastBucket[i] = bucket;
                }
            }
            if (reasons.Count > 0)
            {
                keep.Add((snapshot, reasons));
            }
            else
            {
                remove.Add(snapshot);
            }
        }
        // A count rule with periods left, or a within rule whose window reaches past the oldest snapshot, asked for
        // more than the history has (plain "last" and "within" count no periods).
        var oldestTime = time(ordered[^1]);
        var oldestReasons = Enumerable.Range(0, rules.Length)
            .Where(i => rules[i].Bucket is not null && left[i] > 0 && (cutoffs[i] is not { } cutoff || oldestTime > cutoff))
            .Select(i => "oldest " + rules[i].Name).ToList();
        if (oldestReasons.Count > 0)
        {
            var oldest = ordered[^1];
            var kept = keep.FindIndex(k => EqualityComparer<T>.Default.Equals(k.Item1, oldest));
            if (kept >= 0)
            {
                keep[kept] = (oldest, [.. keep[kept].Item2, .. oldestReasons]);
            }
            else
            {
                remove.Remove(oldest);
                keep.Add((oldest, oldestReasons));
            }
        }
        return (keep, remove);
    }

    /// <summary>
    /// Every rule, in the order reasons are listed: its name, how many periods it keeps (0 when unset, int.MaxValue for a
    /// within rule), how it buckets a time (null: each snapshot is its own), and its window.
    /// </summary>
    private Rule[] Rules()
    {
        static string Hour(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture);
        static string Day(DateTimeOffset t) => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        static string Week(DateTimeOffset t) => $"{ISOWeek.GetYear(t.DateTime)}-{ISOWeek.GetWeekOfYear(t.DateTime)}";
        static string Month(DateTimeOffset t) => t.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        static string Year(DateTimeOffset t) => t.ToString("yyyy", CultureInfo.InvariantCulture);
        static Rule Windowed(string name, RetentionDuration? within, Func<DateTimeOffset, string>? bucket) =>
            new(name is "" ? $"within {within}" : $"{name} within {within}", within is null ? 0 : int.MaxValue, bucket, within);
        return
        [
            new("last", Last, null, null),
            new("hourly", Hourly, Hour, null),
            new("daily", Daily, Day, null),
            new("weekly", Weekly, Week, null),
            new("monthly", Monthly, Month, null),
            new("yearly", Yearly, Year, null),
            Windowed("", Within, null),
            Windowed("hourly", HourlyWithin, Hour),
            Windowed("daily", DailyWithin, Day),
            Windowed("weekly", WeeklyWithin, Week),
            Windowed("monthly", MonthlyWithin, Month),
            Windowed("yearly", YearlyWithin, Year),
        ];
    }

    private sealed record Rule(string Name, int Count, Func<DateTimeOffset, string>? Bucket, RetentionDuration? Within);
}
