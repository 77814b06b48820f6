using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary><c>forget</c>'s duration rules (<c>--keep-within*</c>) on a real repository, whose snapshot times come from real runs.</summary>
public sealed class RepositoryForgetTests
{
    [Fact]
    public void Forget_KeepWithinOneHour_KeepsEveryRecentSnapshot()
    {
        using var world = RepositoryProcess.BackedUp();
        var src = world.Join("src");
        for (var i = 1; i <= 2; i++)
        {
            File.WriteAllText(Path.Join(src, $"b{i}.txt"), $"change {i}");
            world.Expect(0, "run");
        }
        var before = world.Snapshots();
        Assert.Equal(3, before.Count);

        var dryRun = world.Expect(0, "forget", "--keep-within", "1h", "--dry-run");
        var forget = world.Expect(0, "forget", "--keep-within", "1h", "--keep-within-daily", "7d");

        Assert.Contains("keeping 3, removing 0", dryRun.Output, StringComparison.Ordinal);
        Assert.Equal(3, dryRun.Output.Split('\n').Count(l => l.TrimStart().StartsWith("keep ", StringComparison.Ordinal)));
        Assert.Contains("(within 1h)", dryRun.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("would remove", dryRun.Output, StringComparison.Ordinal);
        Assert.Contains("keeping 3, removing 0", forget.Output, StringComparison.Ordinal);
        Assert.Contains("daily within 7d", forget.Output, StringComparison.Ordinal);
        Assert.Equal(before.Select(s => s.Id), world.Snapshots().Select(s => s.Id));
    }

    [Fact]
    public void Forget_KeepLastWithKeepWithin_RemovesOnlyWhatNeitherKeeps()
    {
        using var world = RepositoryProcess.BackedUp();
        File.WriteAllText(world.Join("src", "b.txt"), "b");
        world.Expect(0, "run");

        // 1h of a newest snapshot taken seconds after the first keeps both, whatever --keep-last says.
        var forget = world.Expect(0, "forget", "--keep-last", "1", "--keep-within", "1h");

        Assert.Contains("keeping 2, removing 0", forget.Output, StringComparison.Ordinal);
        Assert.Contains("(last, within 1h)", forget.Output, StringComparison.Ordinal);
        Assert.Equal(2, world.Snapshots().Count);
    }
}
