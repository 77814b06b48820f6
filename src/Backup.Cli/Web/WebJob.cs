using Backup.Core;

namespace Backup.Cli.Web;

/// <summary>
/// A restore or check started from the page, running in the background: its progress counters, then its result or
/// error. Thread-safe: run on the thread pool, read by requests.
/// </summary>
internal sealed class WebJob(string id, string kind, string subject, TimeProvider time)
{
    private volatile string _state = "running";
    private volatile string? _error;
    private object? _result;

    /// <summary>Random, unguessable: the page polls <c>/api/jobs/ID</c>.</summary>
    public string Id { get; } = id;

    /// <summary><c>restore</c> or <c>check</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary>What it works on, as shown (a target folder, a repository).</summary>
    public string Subject { get; } = subject;

    /// <summary>Where the engine counts what it did.</summary>
    public ProgressCounters Progress { get; } = new(time);

    /// <summary><c>running</c>, <c>done</c> or <c>failed</c>.</summary>
    public string State => _state;

    /// <summary>Why it failed, or null.</summary>
    public string? Error => _error;

    /// <summary>What it did, once done (an object serialised as the job's <c>result</c>).</summary>
    public object? Result => Volatile.Read(ref _result);

    /// <summary>Ends the job with <paramref name="result"/>.</summary>
    public void Done(object result)
    {
        Volatile.Write(ref _result, result);
        _state = "done";
    }

    /// <summary>Ends the job with an error message.</summary>
    public void Failed(string error)
    {
        _error = error;
        _state = "failed";
    }

    /// <summary>The job as the page reads it.</summary>
    public object ToJson()
    {
        var p = Progress.Read();
        return new
        {
            id = Id,
            kind = Kind,
            subject = Subject,
            state = State,
            error = Error,
            result = Result,
            progress = new { phase = p.Phase, itemsDone = p.ItemsDone, totalItems = p.TotalItems, bytesDone = p.BytesDone, totalBytes = p.TotalBytes, fraction = p.Fraction, current = p.Current },
        };
    }
}
