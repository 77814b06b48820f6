namespace Backup.Cli.Tests;

/// <summary>Waits for a condition that another process makes true, bounded by a generous deadline so a hang fails instead of blocking.</summary>
internal static class Poll
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> (and <paramref name="describe"/>) after <paramref name="deadline"/>.</summary>
    public static void Until(Func<bool> condition, string what, TimeSpan? deadline = null, Func<string>? describe = null)
    {
        var end = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                Assert.Fail($"timed out waiting for {what}{(describe is null ? "" : "\n" + describe())}");
            }
            Thread.Sleep(50);
        }
    }
}
