using System.Globalization;
using Backup.Core.Snapshots;

namespace Backup.Core.Tests.Snapshots;

/// <summary>
/// forget's rules against the examples of restic's documentation (doc/060_forget.rst): which snapshots of one group are
/// kept. Times are UTC, written "yyyy-MM-dd HH:mm"; a policy is written "last=3,daily=2,hourlywithin=24h".
/// </summary>
public sealed class RetentionPolicyTests
{
    [Theory]
    // --keep-last n keeps the n newest, whatever their times.
    [InlineData("last=3", "2024-01-01 10:00,2024-01-01 11:00,2024-01-02 10:00,2024-01-05 10:00,2024-02-01 10:00",
        "2024-01-02 10:00,2024-01-05 10:00,2024-02-01 10:00")]
    // More asked than there are: everything is kept.
    [InlineData("last=10", "2024-01-01 10:00,2024-01-02 10:00", "2024-01-01 10:00,2024-01-02 10:00")]
    // --keep-hourly: only the newest of each hour (restic's example: 10:00, 10:30, 11:15 with 2 hours keeps 11:15 and 10:30).
    [InlineData("hourly=2", "2024-01-01 10:00,2024-01-01 10:30,2024-01-01 11:15", "2024-01-01 10:30,2024-01-01 11:15")]
    // --keep-daily: the newest of each of the last n days that have a snapshot; a day without one does not count.
    [InlineData("daily=2", "2024-01-01 10:00,2024-01-01 20:00,2024-01-02 09:00,2024-01-02 23:00,2024-01-05 08:00",
        "2024-01-02 23:00,2024-01-05 08:00")]
    // --keep-weekly uses ISO weeks (Monday to Sunday): 2023-12-31 is in 2023-W52, 2024-01-01..07 in 2024-W01.
    [InlineData("weekly=2", "2023-12-31 12:00,2024-01-01 12:00,2024-01-07 12:00,2024-01-08 12:00", "2024-01-07 12:00,2024-01-08 12:00")]
    [InlineData("weekly=3", "2023-12-31 12:00,2024-01-01 12:00,2024-01-07 12:00,2024-01-08 12:00",
        "2023-12-31 12:00,2024-01-07 12:00,2024-01-08 12:00")]
    // --keep-monthly: the last snapshot of each month.
    [InlineData("monthly=2", "2024-01-31 23:59,2024-02-01 00:00,2024-02-29 12:00,2024-03-01 00:00", "2024-02-29 12:00,2024-03-01 00:00")]
    // --keep-yearly: the last snapshot of each year.
    [InlineData("yearly=2", "2022-06-01 00:00,2023-01-01 00:00,2023-12-31 23:00,2024-01-01 00:00", "2023-12-31 23:00,2024-01-01 00:00")]
    // Rules overlap: a snapshot kept by one rule also counts for the others ("7 dailies already include a week").
    [InlineData("last=1,daily=2", "2024-01-01 10:00,2024-01-02 10:00,2024-01-02 11:00", "2024-01-01 10:00,2024-01-02 11:00")]
    [InlineData("last=2,monthly=2", "2024-01-10 10:00,2024-02-10 10:00,2024-03-10 10:00,2024-03-11 10:00",
        "2024-02-10 10:00,2024-03-10 10:00,2024-03-11 10:00")]
    public void Apply_Policy_KeepsExactlyThese(string policy, string times, string kept)
    {
        var snapshots = Times(times);

        var (keep, remove) = Parse(policy).Apply(snapshots, t => t);

        Assert.Equal(Times(kept).Order(), keep.Select(k => k.Item).Order());
        Assert.Equal(snapshots.Except(Times(kept)).Order(), remove.Order());
    }

    /// <summary>
    /// restic's documented example: one backup a day, <c>--keep-daily 7 --keep-weekly 5 --keep-monthly 3</c> keeps the last
    /// 7 days, then 4 more Sundays (the dailies already cover one week), then the last day of 2 earlier months.
    /// </summary>
    [Fact]
    public void Apply_DailyBackupsForThreeMonths_KeepsDailiesWeekliesAndMonthlies()
    {
        var snapshots = Enumerable.Range(0, 91).Select(d => new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero).AddDays(d)).ToList();
        Assert.Equal(DayOfWeek.Sunday, snapshots[^1].DayOfWeek); // 2024-03-31

        var (keep, remove) = new RetentionPolicy { Daily = 7, Weekly = 5, Monthly = 3 }.Apply(snapshots, t => t);

        string[] expected =
        [
            "2024-01-31", "2024-02-29", // monthly
            "2024-03-03", "2024-03-10", "2024-03-17", "2024-03-24", // weekly (Sundays)
            "2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31", // daily
        ];
        Assert.Equal(expected, keep.Select(k => k.Item.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal));
        Assert.Equal(91 - expected.Length, remove.Count);
        var newest = Assert.Single(keep, k => k.Item == snapshots[^1]);
        Assert.Equal(["daily", "weekly", "monthly"], newest.Reasons);
    }

    [Fact]
    public void Apply_KeptSnapshot_ListsEveryRuleThatKeptIt()
    {
        var snapshots = Times("2024-01-01 10:00,2024-01-02 10:00");

        var (keep, _) = new RetentionPolicy { Last = 1, Daily = 1, Yearly = 1 }.Apply(snapshots, t => t);

        var only = Assert.Single(keep);
        Assert.Equal(snapshots[1], only.Item);
        Assert.Equal(["last", "daily", "yearly"], only.Reasons);
    }

    [Fact]
    public void IsEmpty_NoRule_TrueAndAnyRule_False()
    {
        Assert.True(new RetentionPolicy().IsEmpty);
        Assert.False(new RetentionPolicy { Weekly = 1 }.IsEmpty);
    }

    /// <summary>
    /// restic 0.17's documentation (forget): "If there are not enough snapshots to keep one for each duration related
    /// --keep-{within-,}* option, the oldest snapshot in the group is kept additionally" (restic issue 3624).
    /// </summary>
    [Fact]
    public void Apply_FewerYearsThanAsked_KeepsTheOldestSnapshotToo()
    {
        var snapshots = Times("2023-01-15 10:00,2023-12-15 10:00,2024-06-01 10:00");

        var (keep, _) = new RetentionPolicy { Yearly = 3 }.Apply(snapshots, t => t);

        Assert.Equal(snapshots, keep.Select(k => k.Item).Order());
    }

    [Theory]
    // --keep-within keeps every snapshot strictly newer than the newest minus the duration.
    [InlineData("within=1h", "2024-01-01 09:00,2024-01-01 09:30,2024-01-01 09:31,2024-01-01 10:30", "2024-01-01 09:31,2024-01-01 10:30")]
    // Calendar months: one month before 2024-03-31 10:00 is 2024-02-29 10:00 (a leap year), itself not kept.
    [InlineData("within=1m", "2024-02-29 10:00,2024-02-29 10:01,2024-03-31 10:00", "2024-02-29 10:01,2024-03-31 10:00")]
    [InlineData("within=1y2d", "2022-12-30 10:00,2022-12-30 11:00,2024-01-01 10:00", "2022-12-30 11:00,2024-01-01 10:00")]
    // --keep-within-hourly: the newest of each hour within the window; older hours are not kept, however few.
    [InlineData("hourlywithin=3h", "2024-01-01 06:10,2024-01-01 07:10,2024-01-01 07:20,2024-01-01 08:05,2024-01-01 08:55,2024-01-01 09:30",
        "2024-01-01 07:20,2024-01-01 08:55,2024-01-01 09:30")]
    [InlineData("dailywithin=2d", "2024-01-01 08:00,2024-01-02 09:00,2024-01-02 20:00,2024-01-03 08:00,2024-01-03 09:00",
        "2024-01-02 20:00,2024-01-03 09:00")]
    // ISO weeks: 2024-01-07 is the Sunday of 2024-W01; the window of 14 days from 2024-01-15 starts at 2024-01-01 12:00.
    [InlineData("weeklywithin=14d", "2023-12-31 12:00,2024-01-01 12:00,2024-01-07 12:00,2024-01-08 12:00,2024-01-15 12:00",
        "2024-01-07 12:00,2024-01-08 12:00,2024-01-15 12:00")]
    [InlineData("monthlywithin=2m", "2023-12-31 10:00,2024-01-15 10:00,2024-01-31 10:00,2024-02-15 10:00,2024-03-01 10:00",
        "2024-01-31 10:00,2024-02-15 10:00,2024-03-01 10:00")]
    [InlineData("yearlywithin=2y", "2021-12-31 10:00,2022-06-01 10:00,2022-12-31 10:00,2023-06-01 10:00,2024-01-01 09:00",
        "2022-12-31 10:00,2023-06-01 10:00,2024-01-01 09:00")]
    // A window that reaches past the oldest snapshot keeps it too (restic 0.17), as a count rule with periods left does.
    [InlineData("dailywithin=7d", "2024-01-01 10:00,2024-01-01 11:00,2024-01-02 10:00", "2024-01-01 10:00,2024-01-01 11:00,2024-01-02 10:00")]
    // The windows count from the newest snapshot, not from now: a month-old history keeps what it kept.
    [InlineData("last=1,within=2h", "2020-01-01 07:00,2020-01-01 08:30,2020-01-01 09:00", "2020-01-01 08:30,2020-01-01 09:00")]
    public void Apply_WithinPolicy_KeepsExactlyThese(string policy, string times, string kept) =>
        Apply_Policy_KeepsExactlyThese(policy, times, kept);

    [Fact]
    public void Apply_WithinRules_NameTheirDurationInTheReasons()
    {
        var snapshots = Times("2024-01-01 10:00,2024-01-02 10:00");

        var (keep, _) = new RetentionPolicy { Within = RetentionDuration.OneHour, HourlyWithin = new(0, 0, 0, 24), DailyWithin = new(0, 0, 30, 0) }
            .Apply(snapshots, t => t);

        var newest = Assert.Single(keep, k => k.Item == snapshots[1]);
        Assert.Equal(["within 1h", "hourly within 24h", "daily within 30d"], newest.Reasons);
        var oldest = Assert.Single(keep, k => k.Item == snapshots[0]);
        Assert.Equal(["daily within 30d", "oldest daily within 30d"], oldest.Reasons);
    }

    [Fact]
    public void IsEmpty_WithinRule_False()
    {
        Assert.False(new RetentionPolicy { Within = RetentionDuration.OneHour }.IsEmpty);
        Assert.False(new RetentionPolicy { YearlyWithin = new(1, 0, 0, 0) }.IsEmpty);
        Assert.False(RetentionPolicy.WatchDefault.IsEmpty);
    }

    /// <summary>
    /// The daemon's watch default on 90 days with a snapshot every 10 minutes (12,960, from Monday 2024-01-01 00:00 to
    /// Saturday 2024-03-30 23:50): the last hour (6), the last :50 of the 24 hours of 03-30 (24, one shared), the 23:50
    /// of each of the 30 days from 03-01 (30, one shared), the Sunday 23:50 of each ISO week before March (8 more), and
    /// the oldest ("oldest weekly": weeks are kept for ever, so there are always periods left).
    /// </summary>
    [Fact]
    public void Apply_WatchDefaultOnNinetyDays_KeepsTheTimeMachineSet()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var snapshots = Enumerable.Range(0, 90 * 144).Select(i => start.AddMinutes(10 * i)).ToList();

        var (keep, remove) = RetentionPolicy.WatchDefault.Apply(snapshots, t => t);

        Assert.Equal(67, keep.Count);
        Assert.Equal(12_960 - 67, remove.Count);
        int Count(string reason) => keep.Count(k => k.Reasons.Contains(reason));
        Assert.Equal(6, Count("within 1h"));
        Assert.Equal(24, Count("hourly within 24h"));
        Assert.Equal(30, Count("daily within 30d"));
        Assert.Equal(13, Count("weekly"));
        Assert.Equal(1, Count("oldest weekly"));
        var newest = Assert.Single(keep, k => k.Item == snapshots[^1]);
        Assert.Equal(["weekly", "within 1h", "hourly within 24h", "daily within 30d"], newest.Reasons);
        Assert.Contains(keep, k => k.Item == start);
        Assert.Contains(keep, k => k.Item == new DateTimeOffset(2024, 1, 7, 23, 50, 0, TimeSpan.Zero));
        Assert.DoesNotContain(keep, k => k.Item == new DateTimeOffset(2024, 1, 8, 23, 50, 0, TimeSpan.Zero));
    }

    /// <summary>
    /// The daemon's basis: whatever the policy, as long as it has a rule, the newest snapshot of a group is kept (the
    /// watch builds its next snapshot on it).
    /// </summary>
    [Theory]
    [InlineData("last=1")]
    [InlineData("hourly=1")]
    [InlineData("yearly=1")]
    [InlineData("within=1h")]
    [InlineData("hourlywithin=1h")]
    [InlineData("weeklywithin=1d")]
    [InlineData("yearlywithin=1y")]
    public void Apply_AnyPolicy_KeepsTheNewest(string policy)
    {
        var start = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);
        var snapshots = Enumerable.Range(0, 500).Select(i => start.AddMinutes(37 * i)).Reverse().ToList();

        var (keep, remove) = Parse(policy).Apply(snapshots, t => t);

        Assert.Contains(keep, k => k.Item == snapshots.Max());
        Assert.DoesNotContain(snapshots.Max(), remove);
    }

    [Theory]
    [InlineData("1h", 0, 0, 0, 1)]
    [InlineData("30d", 0, 0, 30, 0)]
    [InlineData("30m", 0, 30, 0, 0)]
    [InlineData("2y5m7d3h", 2, 5, 7, 3)]
    [InlineData("1y0h", 1, 0, 0, 0)]
    public void TryParse_ResticDuration_Parses(string text, int years, int months, int days, int hours)
    {
        Assert.True(RetentionDuration.TryParse(text, out var duration, out var error), error);
        Assert.Equal(new RetentionDuration(years, months, days, hours), duration);
        Assert.Equal(text.Replace("0h", "", StringComparison.Ordinal), duration.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("90s")]
    [InlineData("h")]
    [InlineData("0d")]
    [InlineData("1h2d")]
    [InlineData("1d1d")]
    [InlineData("-1d")]
    [InlineData("1.5d")]
    [InlineData("99999999999d")]
    public void TryParse_NotADuration_FailsWithAReason(string text)
    {
        Assert.False(RetentionDuration.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Before_HugeDuration_IsTheStartOfTime() =>
        Assert.Equal(DateTimeOffset.MinValue, new RetentionDuration(100_000, 0, 0, 0).Before(DateTimeOffset.UnixEpoch));

    private static List<DateTimeOffset> Times(string csv) =>
        [.. csv.Split(',').Select(t => DateTimeOffset.ParseExact(t, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))];

    private static RetentionPolicy Parse(string policy)
    {
        var parts = policy.Split(',').Select(r => r.Split('=')).ToList();
        var rules = parts.Where(r => !r[0].EndsWith("within", StringComparison.Ordinal)).ToDictionary(r => r[0], r => int.Parse(r[1], CultureInfo.InvariantCulture));
        var windows = parts.Where(r => r[0].EndsWith("within", StringComparison.Ordinal)).ToDictionary(r => r[0], r => Duration(r[1]));
        return new RetentionPolicy
        {
            Within = windows.GetValueOrDefault("within"),
            HourlyWithin = windows.GetValueOrDefault("hourlywithin"),
            DailyWithin = windows.GetValueOrDefault("dailywithin"),
            WeeklyWithin = windows.GetValueOrDefault("weeklywithin"),
            MonthlyWithin = windows.GetValueOrDefault("monthlywithin"),
            YearlyWithin = windows.GetValueOrDefault("yearlywithin"),
            Last = rules.GetValueOrDefault("last"),
            Hourly = rules.GetValueOrDefault("hourly"),
            Daily = rules.GetValueOrDefault("daily"),
            Weekly = rules.GetValueOrDefault("weekly"),
            Monthly = rules.GetValueOrDefault("monthly"),
            Yearly = rules.GetValueOrDefault("yearly"),
        };
    }

    private static RetentionDuration? Duration(string text) =>
        RetentionDuration.TryParse(text, out var duration, out var error) ? duration : throw new FormatException(error);
}
