namespace Backup.Cli.Tests.Repository;

/// <summary><c>forget --json</c>: one object with what was kept (and why) and what was removed.</summary>
public sealed class ForgetJsonTests
{
    [Fact]
    public void ForgetJson_KeepLastOne_KeptAndRemovedIdsAsSnapshotsListsThem()
    {
        using var world = RepositoryProcess.BackedUp();
        File.WriteAllText(world.Join("src", "b.txt"), "b");
        world.Expect(0, "run");
        var before = world.Snapshots();
        Assert.Equal(2, before.Count);

        var json = JsonLinesOutput.Single(world.Expect(0, "forget", "--keep-last", "1", "--json").Output);

        Assert.False(json.GetProperty("dry_run").GetBoolean());
        var kept = Assert.Single(json.GetProperty("kept").EnumerateArray());
        Assert.Equal(before[1].Id, kept.GetProperty("id").GetString());
        Assert.Equal(world.Join("src"), kept.GetProperty("path").GetString());
        Assert.Equal("last", kept.GetProperty("reasons")[0].GetString());
        Assert.Equal(before[0].Id, Assert.Single(json.GetProperty("removed").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal([before[1].Id], world.Snapshots().Select(s => s.Id));
    }

    [Fact]
    public void ForgetJson_IdsWithDryRunAndPrune_RemovesNothingAndSaysSo()
    {
        using var world = RepositoryProcess.BackedUp();
        var id = Assert.Single(world.Snapshots()).Id;

        var dryRun = JsonLinesOutput.Single(world.Expect(0, "forget", id[..8], "--dry-run", "--json").Output);
        var forget = JsonLinesOutput.Single(world.Expect(0, "forget", id[..8], "--prune", "--json").Output);

        Assert.True(dryRun.GetProperty("dry_run").GetBoolean());
        Assert.Equal(id, Assert.Single(dryRun.GetProperty("removed").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(id, Assert.Single(forget.GetProperty("removed").EnumerateArray()).GetProperty("id").GetString());
        Assert.True(forget.GetProperty("prune").GetProperty("packs_deleted").GetInt32() >= 1);
        Assert.Empty(world.Snapshots());
    }
}
