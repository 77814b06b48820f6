using System.Collections.Concurrent;
using System.Security.Cryptography;
using Backup.Core;

namespace Backup.Cli.Web;

/// <summary>
/// The page's background jobs. Each runs until done, failed, or the daemon stops (<paramref name="stopping"/>);
/// finished jobs are kept for the page to read their result, the oldest dropped past <see cref="Kept"/>.
/// </summary>
internal sealed class WebJobs(TimeProvider time, CancellationToken stopping)
{
    private const int Kept = 100;
    private readonly ConcurrentDictionary<string, WebJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Starts <paramref name="work"/> in the background and returns its job at once.</summary>
    public WebJob Start(string kind, string subject, Func<WebJob, CancellationToken, Task<object>> work)
    {
        var job = new WebJob(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), kind, subject, time);
        _jobs[job.Id] = job;
        _order.Enqueue(job.Id);
        while (_order.Count > Kept && _order.TryDequeue(out var old))
        {
            _jobs.TryRemove(old, out _);
        }
        _ = Task.Run(async () =>
        {
            try
            {
                job.Done(await work(job, stopping));
            }
            catch (OperationCanceledException)
            {
                job.Failed("interrupted: the daemon is stopping");
            }
            catch (Exception e) when (e is BackupException or IOException or UnauthorizedAccessException or InvalidDataException or WebRequestException
                or InvalidOperationException)
            {
                job.Failed(e.Message);
            }
            catch (Exception e)
            {
                // A bug, not an expected failure: the job still ends, naming it, rather than staying "running" for ever.
                job.Failed($"unexpected error ({e.GetType().Name}): {e.Message}");
            }
        }, CancellationToken.None);
        return job;
    }

    /// <summary>The job <paramref name="id"/>; throws <see cref="WebRequestException"/> (404) when there is none.</summary>
    public WebJob Get(string id) => _jobs.TryGetValue(id, out var job)
        ? job
        : throw new WebRequestException(404, $"no job '{Formatting.Path(id)}' (jobs are kept while the daemon runs)");
}
