using System.Collections.Concurrent;
using System.Security.Cryptography;
using Backup.Core;

namespace Backup.Cli.Web;

/// <summary>
/// The page's background jobs. Each runs until done, failed, or the daemon stops (<paramref name="stopping"/>);
/// finished jobs are kept for the page to read their result, the oldest dropped past <see cref="Kept"/>. At most
/// <see cref="MaxRunning"/> run at once. Thread-safe.
/// </summary>
internal sealed class WebJobs(TimeProvider time, CancellationToken stopping)
{
    /// <summary>
    /// Jobs running at once. Each restore or check reads a repository and may write a whole snapshot; without a bound,
    /// a loop of POSTs would start one per request until memory, descriptors or the disk ran out. Four keeps a second
    /// restore possible while a check runs, and is below <see cref="Kept"/>, so a running job is never dropped.
    /// </summary>
    public const int MaxRunning = 4;

    private const int Kept = 100;
    private readonly ConcurrentDictionary<string, WebJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private int _running;

    /// <summary>
    /// Starts <paramref name="work"/> in the background and returns its job at once; throws
    /// <see cref="WebRequestException"/> (429) when <see cref="MaxRunning"/> jobs are running already.
    /// </summary>
    public WebJob Start(string kind, string subject, Func<WebJob, CancellationToken, Task<object>> work)
    {
        TakeSlot();
        var job = new WebJob(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), kind, subject, time);
        _jobs[job.Id] = job;
        _order.Enqueue(job.Id);
        while (_order.Count > Kept && _order.TryDequeue(out var old))
        {
            _jobs.TryRemove(old, out _);
        }
        _ = Task.Run(async () =>
        {
            var (result, error) = await RunAsync(job, work);
            // The slot is free before the job reads as ended, so that a client which saw it end can start the next.
            Interlocked.Decrement(ref _running);
            if (error is null)
            {
                job.Done(result!);
            }
            else
            {
                job.Failed(error);
            }
        }, CancellationToken.None);
        return job;
    }

    private async Task<(object? Result, string? Error)> RunAsync(WebJob job, Func<WebJob, CancellationToken, Task<object>> work)
    {
        try
        {
            return (await work(job, stopping), null);
        }
        catch (OperationCanceledException)
        {
            return (null, "interrupted: the daemon is stopping");
        }
        catch (Exception e) when (e is BackupException or IOException or UnauthorizedAccessException or InvalidDataException or WebRequestException
            or InvalidOperationException)
        {
            return (null, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not an expected failure: the job still ends, naming it, rather than staying "running" for ever.
            return (null, $"unexpected error ({e.GetType().Name}): {e.Message}");
        }
    }

    /// <summary>
    /// Takes one of the <see cref="MaxRunning"/> slots for work answered within its request (a restore's dry run, which
    /// reads a whole snapshot's directories) until the returned scope ends; throws <see cref="WebRequestException"/>
    /// (429) when every slot is taken.
    /// </summary>
    public IDisposable Reserve()
    {
        TakeSlot();
        return new Slot(this);
    }

    private void TakeSlot()
    {
        if (Interlocked.Increment(ref _running) > MaxRunning)
        {
            Interlocked.Decrement(ref _running);
            throw new WebRequestException(429, $"{MaxRunning} jobs are running already: start this one when one of them has ended");
        }
    }

    private sealed class Slot(WebJobs jobs) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref jobs._running);
            }
        }
    }

    /// <summary>The job <paramref name="id"/>; throws <see cref="WebRequestException"/> (404) when there is none.</summary>
    public WebJob Get(string id) => _jobs.TryGetValue(id, out var job)
        ? job
        : throw new WebRequestException(404, $"no job '{Formatting.Path(id)}' (jobs are kept while the daemon runs)");
}
