using System.Globalization;

namespace Backup.Core.Snapshots;

/// <summary>
/// Which snapshots <c>forget</c> keeps, by restic's documented rules: within each group (host and path), going from the
/// newest snapshot to the oldest, <c>--keep-last n</c> keeps the n newest; <c>--keep-hourly n</c> keeps the newest
/// snapshot of each of the last n hours that have one, and so on for days, ISO weeks, months and years. A snapshot kept by
/// any rule is kept. As restic does since 0.17, when a time rule asks for more periods than have snapshots, the oldest
/// snapshot is kept too ("oldest daily"). Times are bucketed in the offset they were recorded with (UTC for snapshots
/// made here).
/// </summary>
public sealed record RetentionPolicy
{
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

    /// <summary>True when no rule is set: restic then refuses to remove anything, and so does forget.</summary>
    public bool IsEmpty => Last == 0 && Hourly == 0 && Daily == 0 && Weekly == 0 && Monthly == 0 && Yearly == 0;

    /// <summary>Splits one group's snapshots into kept (with the reasons) and removed.</summary>
    public (IReadOnlyList<(T Item, IReadOnlyList<string> Reasons)> Keep, IReadOnlyList<T> Remove) Apply<T>(IEnumerable<T> snapshots, Func<T, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var rules = new (string Name, int Count, Func<DateTimeOffset, string>? Bucket)[]
        {
            ("last", Last, null),
            ("hourly", Hourly, t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture)),
            ("daily", Daily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("weekly", Weekly, t => $"{ISOWeek.GetYear(t.DateTime)}-{ISOWeek.GetWeekOfYear(t.DateTime)}"),
            ("monthly", Monthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            ("yearly", Yearly, t => t.ToString("yyyy", CultureInfo.InvariantCulture)),
        };
        var left = rules.Select(r => r.Count).ToArray();
        var lastBucket = new string?[rules.Length];
        var keep = new List<(T, IReadOnlyList<string>)>();
        var remove = new List<T>();
        var ordered = snapshots.OrderByDescending(time).ToList();
        foreach (var snapshot in ordered)
        {
            var reasons = new List<string>();
            for (var i = 0; i < rules.Length; i++)
            {
                if (left[i] <= 0)
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
        var oldestReasons = Enumerable.Range(1, rules.Length - 1).Where(i => left[i] > 0).Select(i => "oldest " + rules[i].Name).ToList();
        if (oldestReasons.Count > 0 && ordered.Count > 0)
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
}
