using Backup.Cli.Web;

namespace Backup.Cli.Tests.Web;

public sealed class WebJobsTests
{
    [Fact]
    public void Start_WorkThrowsAnUnexpectedException_EndsFailedNamingIt()
    {
        var jobs = new WebJobs(TimeProvider.System, CancellationToken.None);

        var job = jobs.Start("check", "repository", (_, _) => throw new NotSupportedException("a bug"));

        Poll.Until(() => job.State != "running", "the job to end", TimeSpan.FromSeconds(10));
        Assert.Equal("failed", job.State);
        Assert.Contains("NotSupportedException", job.Error, StringComparison.Ordinal);
        Assert.Same(job, jobs.Get(job.Id));
    }
}
