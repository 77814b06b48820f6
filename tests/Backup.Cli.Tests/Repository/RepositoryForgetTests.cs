using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary><c>forget</c>'s duration rules (<c>--keep-within*</c>) on a real repository, whose snapshot times come from real runs, and forget by id.</summary>
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

    [Fact]
    public void Forget_Ids_RemovesThoseSnapshotsFoundThroughTheCatalog()
    {
        using var world = RepositoryProcess.BackedUp();
        for (var i = 1; i <= 2; i++)
        {
            File.WriteAllText(world.Join("src", $"b{i}.txt"), $"change {i}");
            world.Expect(0, "run");
        }
        var before = world.Snapshots();
        world.Variables["BACKUP_ARCHIVE"] = world.Dir("elsewhere"); // found through the catalog, not the default folder

        var dryRun = world.Raw("forget", "1", before[1].Id[..8], "--dry-run");
        var forget = world.Raw("forget", "1", before[1].Id[..8]);
        world.Variables.Remove("BACKUP_ARCHIVE");

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"would remove  {before[0].Id[..8]}", dryRun.Output, StringComparison.Ordinal);
        Assert.True(forget.ExitCode == 0, forget.ToString());
        Assert.Contains($"remove  {before[1].Id[..8]}", forget.Output, StringComparison.Ordinal);
        Assert.Equal([before[2].Id], world.Snapshots().Select(s => s.Id));
    }

    [Fact]
    public void Forget_UnknownIdAmongOthers_RemovesNothing()
    {
        using var world = RepositoryProcess.BackedUp();
        var id = Assert.Single(world.Snapshots()).Id;

        var forget = world.Run("forget", id[..8], "ffff0000");

        Assert.True(forget.ExitCode == 1, forget.ToString());
        Assert.Contains("no snapshot 'ffff0000' in the repository", forget.Error, StringComparison.Ordinal);
        Assert.Equal(id, Assert.Single(world.Snapshots()).Id);
    }

    [Fact]
    public void Forget_IdsAndPolicy_IsAUsageError()
    {
        using var world = RepositoryProcess.BackedUp();

        var forget = world.Run("forget", "1", "--keep-last", "1");

        Assert.True(forget.ExitCode == 2, forget.ToString());
        Assert.Contains("not both", forget.Error, StringComparison.Ordinal);
        Assert.Single(world.Snapshots());
    }
}
