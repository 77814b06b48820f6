using Backup.Cli.Web;

namespace Backup.Cli.Tests.Web;

public sealed class WebJobEndpointsTests
{
    [Theory]
    [InlineData(0, 3)]
    [InlineData(3, 3)]
    [InlineData(5, 3)]
    public void KeptDeletedPaths_MoreThanTheCap_KeepsTheFirstInTheirOrder(int count, int keep)
    {
        var paths = Enumerable.Range(0, count).Select(i => $"d/{i:D2}").Append("d").ToList();

        var kept = WebJobEndpoints.KeptDeletedPaths(paths, keep);

        Assert.Equal(paths.Take(keep), kept);
        Assert.True(kept.Count <= keep);
    }

    [Fact]
    public void DeletedPathsKept_IsBoundedAtAThousand() => Assert.Equal(1000, WebJobEndpoints.DeletedPathsKept);
}
