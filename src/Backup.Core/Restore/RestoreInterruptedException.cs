namespace Backup.Core.Restore;

/// <summary>
/// A restore was cancelled; <see cref="Outcome"/> says what was cleaned up and what, if anything, was left in the target.
/// </summary>
public sealed class RestoreInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception with what the clean-up did (<see cref="RestoreTarget.Abandon"/>).</summary>
    public RestoreInterruptedException(string outcome, OperationCanceledException innerException)
        : base($"restore interrupted; {outcome}", innerException, innerException?.CancellationToken ?? default)
    {
        Outcome = outcome;
    }

    /// <summary>What the clean-up did, for the user: "removed what it had written to /x", and what it left.</summary>
    public string Outcome { get; } = "";

    /// <summary>For serializers and analyzers; prefer the constructor with an outcome.</summary>
    public RestoreInterruptedException() { }

    /// <summary>For serializers and analyzers; prefer the constructor with an outcome.</summary>
    public RestoreInterruptedException(string message) : base(message) { }

    /// <summary>For serializers and analyzers; prefer the constructor with an outcome.</summary>
    public RestoreInterruptedException(string message, Exception innerException) : base(message, innerException) { }
}
