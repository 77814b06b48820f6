using System.Globalization;
using Backup.Core.Snapshots;

namespace Backup.Core.Tests.Snapshots;

/// <summary>
/// forget's rules against the examples of restic's documentation (doc/060_forget.rst): which snapshots of one group are
/// kept. Times are UTC, written "yyyy-MM-dd HH:mm"; a policy is written "last=3,daily=2".
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

    private static List<DateTimeOffset> Times(string csv) =>
        [.. csv.Split(',').Select(t => DateTimeOffset.ParseExact(t, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))];

    private static RetentionPolicy Parse(string policy)
    {
        var rules = policy.Split(',').Select(r => r.Split('=')).ToDictionary(r => r[0], r => int.Parse(r[1], CultureInfo.InvariantCulture));
        return new RetentionPolicy
        {
            Last = rules.GetValueOrDefault("last"),
            Hourly = rules.GetValueOrDefault("hourly"),
            Daily = rules.GetValueOrDefault("daily"),
            Weekly = rules.GetValueOrDefault("weekly"),
            Monthly = rules.GetValueOrDefault("monthly"),
            Yearly = rules.GetValueOrDefault("yearly"),
        };
    }
}
