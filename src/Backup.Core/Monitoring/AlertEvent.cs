namespace Backup.Core.Monitoring;

/// <summary>What an <see cref="Alert"/> says; the names, lower-cased, are permanent (BACKUP_EVENT, the webhook's <c>event</c>).</summary>
public enum AlertEvent
{
    /// <summary>A failure episode began (and lasted the alert delay).</summary>
    Failure,

    /// <summary>A path that was notified as failing is safe in a snapshot again.</summary>
    Recovery,
}
