using Backup.Cli.Web;

namespace Backup.Cli.Tests.Web;

public sealed class WebJobEndpointsTests
{
    [Theory]
    [InlineData(0, 3, 0)]
    [InlineData(3, 3, 0)]
    [InlineData(8, 3, 5)]
    [InlineData(1_005, WebJobEndpoints.DeletedPathsKept, 5)]
    public void DeletedPathsKeep_MoreThanTheCap_KeepsTheFirstInTheirOrderAndCountsTheRest(int count, int keep, int leftOut)
    {
        var all = Enumerable.Range(0, count).Select(i => $"d/{i:D5}").ToList();

        var deleted = WebJobEndpoints.DeletedPaths.Keep(all, keep);

        Assert.Equal(all.Take(keep), deleted.Paths);
        Assert.Equal(count, deleted.Count);
        Assert.Equal(leftOut, deleted.LeftOut);
        all.Clear();
        Assert.Equal(count - leftOut, deleted.Paths.Count);
    }

    [Fact]
    public void DeletedPathsKept_IsAThousand() => Assert.Equal(1000, WebJobEndpoints.DeletedPathsKept);
}
