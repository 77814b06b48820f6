namespace Backup.Cli.Notifications;

/// <summary>How <see cref="WebhookSender"/> sends: each default says why it is what it is.</summary>
internal sealed record WebhookSettings
{
    /// <summary>Alerts waiting to be sent; past it the oldest is dropped (and logged). A failing path alerts once per episode, so 100 is many.</summary>
    public int Capacity { get; init; } = 100;

    /// <summary>Tries after the first: with the backoff below, about a minute of an unreachable server before an alert is given up.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>The first wait between tries, doubled at each (with jitter).</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one request may take: a receiver that hangs must not hold the queue for long.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping daemon waits for alerts still queued; systemd's stop timeout is 90 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
