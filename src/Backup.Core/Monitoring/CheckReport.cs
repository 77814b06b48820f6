namespace Backup.Core.Monitoring;

/// <summary>The outcome of one check over every watched path.</summary>
public sealed record CheckReport(IReadOnlyList<PathOutcome> Outcomes)
{
    /// <summary>Paths archived in this check.</summary>
    public int Archived => Outcomes.Count(o => o.Status == PathStatus.Archived);

    /// <summary>Paths that failed.</summary>
    public int Failed => Outcomes.Count(o => o.Status == PathStatus.Failed);

    /// <summary>True when some archived snapshot lacks entries that could not be read.</summary>
    public bool Incomplete => Outcomes.Any(o => o.Result is { Complete: false });
}
