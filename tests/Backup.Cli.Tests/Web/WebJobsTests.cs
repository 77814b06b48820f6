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

    [Fact]
    public void Start_ManyJobsAtOnce_RefusesPastTheBoundWith429()
    {
        // Any holder of the token (or a buggy page) can POST restores in a loop: each one reads a snapshot and writes.
        var jobs = new WebJobs(TimeProvider.System, CancellationToken.None);
        var release = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new List<WebJob>();
        var refused = 0;
        for (var i = 0; i < 64; i++)
        {
            try
            {
                started.Add(jobs.Start("restore", "/tmp/x", (_, _) => release.Task));
            }
            catch (WebRequestException e) when (e.Status == 429)
            {
                refused++;
            }
        }
        Assert.True(refused > 0, "64 jobs ran at once");
        Assert.InRange(started.Count, 1, 8);

        release.SetResult(new { });
        Poll.Until(() => started.TrueForAll(j => j.State == "done"), "the jobs to end", TimeSpan.FromSeconds(10));
        var after = jobs.Start("check", "repository", (_, _) => Task.FromResult<object>(new { }));
        Poll.Until(() => after.State == "done", "the next job to end", TimeSpan.FromSeconds(10));
    }
}
